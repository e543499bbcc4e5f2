#include "server/api_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/time_format.h"
#include "protocols/registry.h"

namespace loupe::server {

namespace {

std::optional<double> to_double(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> to_int(const std::string& s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

uint64_t get_time(const Params& p, const std::string& name, uint64_t fallback) {
  auto v = get_string(p, name);
  if (!v) return fallback;
  auto t = parse_time(*v);
  if (!t)
    throw ParamError(name, "'" + *v +
                               "' is not a time: use unix seconds (1764000000) or RFC 3339 "
                               "(2026-11-25T12:00:00Z)");
  return *t;
}

}  // namespace

std::optional<std::string> get_string(const Params& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return std::nullopt;
  return it->second;
}

std::string require_string(const Params& p, const std::string& name) {
  auto v = get_string(p, name);
  if (!v || v->empty()) throw ParamError(name, name + " is required");
  return *v;
}

store::TimeRange get_range(const Params& p, uint64_t now_ns) {
  uint64_t to = get_time(p, "to", now_ns);
  uint64_t from = get_time(p, "from", to > kDefaultWindowNs ? to - kDefaultWindowNs : 0);
  if (from >= to) throw ParamError("from", "from must be before to");
  return {from, to};
}

double get_quantile(const Params& p) {
  auto v = get_string(p, "q");
  if (!v) return 0.95;
  auto q = to_double(*v);
  if (!q || *q < 0 || *q > 1)
    throw ParamError("q", "'" + *v + "' is not a quantile: use a number from 0 to 1, e.g. 0.95");
  return *q;
}

uint64_t get_step(const Params& p, const store::TimeRange& range, size_t max_points) {
  auto v = get_string(p, "step");
  uint64_t step = 60;
  if (v) {
    auto s = to_int(*v);
    if (!s || *s <= 0 || *s % 60 != 0)
      throw ParamError("step", "'" + *v +
                                   "' is not a valid step: use seconds, a positive multiple of 60 "
                                   "(data is aggregated per minute)");
    step = static_cast<uint64_t>(*s);
  }
  uint64_t points = (range.to_ns - range.from_ns) / 1'000'000'000ULL / step + 1;
  if (points > max_points)
    throw ParamError("step", "step is too small for the range: " + std::to_string(points) +
                                 " points, at most " + std::to_string(max_points));
  return step;
}

uint64_t get_metric_step(const Params& p, const store::TimeRange& range) {
  uint64_t range_s = (range.to_ns - range.from_ns) / 1'000'000'000ULL;
  uint64_t step = std::max<uint64_t>(10, (range_s + 199) / 200);
  step = step < 60 ? (step + 9) / 10 * 10 : (step + 59) / 60 * 60;
  if (auto v = get_string(p, "step")) {
    auto s = to_int(*v);
    if (!s || *s <= 0 || *s % 10 != 0)
      throw ParamError("step", "'" + *v +
                                   "' is not a valid step: use seconds, a positive multiple of 10 "
                                   "(multiples of 60 read per-minute rollups)");
    step = static_cast<uint64_t>(*s);
  }
  uint64_t points = range_s / step + 1;
  if (points > kMaxLatencyPoints)
    throw ParamError("step", "step is too small for the range: " + std::to_string(points) +
                                 " points, at most " + std::to_string(kMaxLatencyPoints));
  return step;
}

size_t get_limit(const Params& p) {
  auto v = get_string(p, "limit");
  if (!v) return 100;
  auto n = to_int(*v);
  if (!n || *n < 1 || *n > static_cast<int64_t>(kMaxRequestsLimit))
    throw ParamError("limit", "'" + *v + "' is not a valid limit: use 1 to " +
                                  std::to_string(kMaxRequestsLimit));
  return static_cast<size_t>(*n);
}

size_t get_list_limit(const Params& p) {
  auto v = get_string(p, "limit");
  if (!v) return kDefaultListLimit;
  auto n = to_int(*v);
  if (!n || *n < 1 || *n > static_cast<int64_t>(kMaxListLimit))
    throw ParamError(
        "limit", "'" + *v + "' is not a valid limit: use 1 to " + std::to_string(kMaxListLimit));
  return static_cast<size_t>(*n);
}

std::optional<int> get_status(const Params& p) {
  auto v = get_string(p, "status");
  if (!v) return std::nullopt;
  auto n = to_int(*v);
  if (!n || *n < 0 || *n > 65535)
    throw ParamError("status", "'" + *v + "' is not a status code: use an integer, e.g. 500");
  return static_cast<int>(*n);
}

bool get_with_self(const Params& p) {
  auto v = get_string(p, "self");
  if (!v || *v == "hide") return false;
  if (*v == "show") return true;
  throw ParamError("self", "'" + *v + "' is not a choice: use show or hide");
}

std::optional<Protocol> get_protocol(const Params& p) {
  auto v = get_string(p, "protocol");
  if (!v) return std::nullopt;
  Protocol proto = protocol_from_string(*v);
  if (proto == Protocol::Unknown)
    throw ParamError("protocol", "'" + *v + "' is not a protocol: use " + protocol_names());
  return proto;
}

uint64_t get_min_duration_ns(const Params& p) {
  auto v = get_string(p, "min_duration_ms");
  if (!v) return 0;
  auto ms = to_double(*v);
  if (!ms || *ms < 0 || *ms > 1e12)
    throw ParamError("min_duration_ms",
                     "'" + *v + "' is not a duration: use milliseconds >= 0, e.g. 250");
  return static_cast<uint64_t>(*ms * 1e6);
}

}  // namespace loupe::server
