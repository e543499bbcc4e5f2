// Query-string validation for /api/v1: every parameter is parsed here, and a
// bad one becomes a ParamError naming the parameter and saying why, which the
// server turns into HTTP 400 {"error": ..., "parameter": ...}.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/record.h"
#include "server/http/message.h"
#include "store/store.h"

namespace loupe::server {

class ParamError : public std::runtime_error {
 public:
  ParamError(std::string parameter, const std::string& message)
      : std::runtime_error(message), parameter_(std::move(parameter)) {}
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

// The decoded query string (http::Request::params, first value wins).
using Params = http::QueryParams;

constexpr uint64_t kDefaultWindowNs = 15ULL * 60 * 1'000'000'000ULL;
constexpr size_t kMaxLatencyPoints = 10'000;
// Points per service of /services?step= (every service gets them).
constexpr size_t kMaxServiceSeriesPoints = 1'000;
constexpr size_t kMaxRequestsLimit = 10'000;

std::optional<std::string> get_string(const Params& p, const std::string& name);
std::string require_string(const Params& p, const std::string& name);
// from/to as unix seconds or RFC 3339; to defaults to now_ns, from to
// to - 15 min. from must be before to.
store::TimeRange get_range(const Params& p, uint64_t now_ns);
// Quantile in [0, 1]; default 0.95.
double get_quantile(const Params& p);
// Step seconds: a positive multiple of 60 (aggregates are per minute), and
// at most max_points buckets over `range`.
uint64_t get_step(const Params& p, const store::TimeRange& range,
                  size_t max_points = kMaxLatencyPoints);
// Metric step seconds: a positive multiple of 10 (the sampling interval;
// multiples of 60 read per-minute rollups). Default: about 200 points over
// the range, rounded up to 10 s below a minute and to whole minutes above.
uint64_t get_metric_step(const Params& p, const store::TimeRange& range);
// 1..kMaxRequestsLimit, default 100.
size_t get_limit(const Params& p);
// `limit` of the summary lists (services, endpoints, map, workloads, pods,
// nodes, metric series): 1..kMaxListLimit, default kDefaultListLimit, so no
// list answer grows with the cluster unasked.
constexpr size_t kDefaultListLimit = 1'000;
constexpr size_t kMaxListLimit = 100'000;
size_t get_list_limit(const Params& p);
std::optional<int> get_status(const Params& p);
std::optional<Protocol> get_protocol(const Params& p);
// min_duration_ms (fractional allowed) -> ns; 0 when absent.
uint64_t get_min_duration_ns(const Params& p);
// self=show: answer Loupe's own traffic too (service kind "loupe"); hide
// (the default) leaves it out of lists that do not name a service.
bool get_with_self(const Params& p);

}  // namespace loupe::server
