// Log routes of the API (docs/api.md, docs/logs.md): the agents' log
// ingest, entries newest first with a cursor, and counts by level over time.
#include <charconv>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "server/ingest_decode.h"

namespace loupe::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxIngestEntries = 50'000;
constexpr size_t kMaxHistogramPoints = 2'000;
constexpr uint64_t kNsPerSec = 1'000'000'000ULL;
constexpr uint64_t kDefaultAroundWindowNs = 5 * kNsPerSec;
constexpr uint64_t kMaxAroundWindowNs = 3600 * kNsPerSec;

// "error,warn" -> levels; a word that is no level is a 400.
std::vector<logs::Level> get_levels(const Params& p) {
  std::vector<logs::Level> out;
  auto v = get_string(p, "level");
  if (!v) return out;
  size_t at = 0;
  while (at <= v->size()) {
    size_t comma = v->find(',', at);
    std::string word = v->substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!word.empty()) {
      logs::Level l = logs::level_from_string(word);
      if (l == logs::Level::Unknown)
        throw ParamError(
            "level", "'" + word + "' is not a level: use trace, debug, info, warn, error or fatal");
      out.push_back(l);
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

// The cursor of an entry: "<time_ns>-<id>".
std::string cursor_of(const store::StoredLog& r) {
  return std::to_string(r.entry.time_ns) + "-" + std::to_string(r.id);
}

std::optional<std::pair<uint64_t, int64_t>> get_cursor(const Params& p) {
  auto v = get_string(p, "cursor");
  if (!v) return std::nullopt;
  size_t dash = v->find('-');
  uint64_t t = 0;
  int64_t id = 0;
  bool ok = dash != std::string::npos &&
            std::from_chars(v->data(), v->data() + dash, t).ec == std::errc() &&
            std::from_chars(v->data() + dash + 1, v->data() + v->size(), id).ec == std::errc();
  if (!ok) throw ParamError("cursor", "cursor must be a next_cursor value from an earlier answer");
  return std::pair{t, id};
}

// `around=<time>` (and `window=<duration>`, default 5 s): the entries within
// window either side of one moment, such as the lines a pod printed while a
// request ran. It replaces from/to; without it the usual range applies.
store::TimeRange get_log_range(const Params& p) {
  auto around = get_string(p, "around");
  if (!around) {
    if (get_string(p, "window")) throw ParamError("window", "window goes with around");
    return get_range(p, now_unix_ns());
  }
  if (get_string(p, "from") || get_string(p, "to"))
    throw ParamError("around", "around replaces from and to: give one or the other");
  auto t = parse_time(*around);
  if (!t)
    throw ParamError("around", "'" + *around +
                                   "' is not a time: use unix seconds (1764000000.25) or RFC 3339 "
                                   "(2026-11-25T12:00:00.250Z)");
  uint64_t window = kDefaultAroundWindowNs;
  if (auto w = get_string(p, "window")) {
    auto d = parse_duration(*w);
    if (!d || *d == 0 || *d > kMaxAroundWindowNs)
      throw ParamError("window", "'" + *w + "' is not a window: use a duration up to 1h, e.g. 5s");
    window = *d;
  }
  return {*t > window ? *t - window : 0, *t + window};
}

store::LogQuery get_log_query(const Params& p) {
  store::LogQuery q;
  q.node = get_string(p, "node");
  q.namespace_ = get_string(p, "namespace");
  q.workload = get_string(p, "workload");
  q.pod = get_string(p, "pod");
  q.container = get_string(p, "container");
  q.levels = get_levels(p);
  q.text = get_string(p, "q").value_or("");
  q.range = get_log_range(p);
  q.limit = get_limit(p);
  q.before = get_cursor(p);
  if (auto v = get_string(p, "pattern")) {
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
    if (ec != std::errc() || end != v->data() + v->size() || id == 0)
      throw ParamError("pattern",
                       "'" + *v + "' is not a pattern id (the id of a /logs/patterns row)");
    q.pattern = id;
  }
  return q;
}

json entry_json(const store::StoredLog& r) {
  json j = logs::to_json(r.entry);
  j["id"] = r.id;
  j["time"] = format_rfc3339_ns(r.entry.time_ns);
  j["cursor"] = cursor_of(r);
  if (r.entry.pattern) j["pattern"] = r.entry.pattern;
  return j;
}

json pattern_json(const store::LogPatternRow& r) {
  json points = json::array();
  for (const auto& [t, n] : r.points) points.push_back({{"t", t}, {"count", n}});
  std::string_view level = logs::to_string(r.pattern.level);
  return {{"id", r.pattern.id},
          {"pattern", r.pattern.text},
          {"level", level.empty() ? "unknown" : std::string(level)},
          {"count", r.count},
          {"previous_count", r.previous_count},
          {"first_seen", format_rfc3339_ns(r.pattern.first_seen_ns)},
          {"first_seen_ns", r.pattern.first_seen_ns},
          {"example", r.pattern.example},
          {"points", points}};
}

// Seconds per bucket: `step` when given (1 s at least), else about 100
// buckets over the range, in whole minutes past a minute (the store answers
// whole minutes from its per-minute counts, not from every entry).
uint64_t get_log_step(const Params& p, const store::TimeRange& range) {
  uint64_t span_s = std::max<uint64_t>(1, (range.to_ns - range.from_ns) / 1'000'000'000ULL);
  uint64_t step = std::max<uint64_t>(1, (span_s + 99) / 100);
  if (step > 60) step = (step + 59) / 60 * 60;
  if (auto v = get_string(p, "step")) {
    auto d = parse_duration(*v);
    uint64_t secs = 0;
    if (d) {
      secs = *d / 1'000'000'000ULL;
    } else if (std::from_chars(v->data(), v->data() + v->size(), secs).ec != std::errc()) {
      secs = 0;
    }
    if (secs == 0) throw ParamError("step", "step must be whole seconds (\"60\" or \"1m\")");
    step = secs;
  }
  if (span_s / step > kMaxHistogramPoints)
    throw ParamError(
        "step", "step too small: more than " + std::to_string(kMaxHistogramPoints) + " buckets");
  return step;
}

}  // namespace

uint64_t ApiServer::ingest_logs(std::vector<logs::Entry> entries) {
  cluster_->enrich(entries);
  {
    std::lock_guard lock(patterns_mu_);
    store_.write_log_patterns(patterns_->assign(entries));
  }
  uint64_t stored = store_.write_logs(entries);
  // Entries stored before (an agent's resend after a restart) are not
  // exported again; a batch that is partly new goes out whole.
  if (options_.log_observer && stored > 0) options_.log_observer->observe(entries);
  return stored;
}

void ApiServer::log_routes() {
  auto& s = router_;

  s.post("/api/v1/logs/ingest", json_handler([this](const http::Request& req, http::Response& res) {
           // The HTTP layer has checked the token and undone Content-Encoding.
           auto entries = decode_log_ingest(req.body, kMaxIngestEntries);
           size_t n = entries.size();
           uint64_t stored = ingest_logs(std::move(entries));
           send_json(res, json{{"accepted", n}, {"stored", stored}});
         }));

  s.get("/api/v1/logs", json_handler([this](const http::Request& req, http::Response& res) {
          store::LogQuery q = get_log_query(req.params);
          auto rows = store_.logs(q);
          json entries = json::array();
          for (const auto& r : rows) entries.push_back(entry_json(r));
          json next = rows.size() == q.limit && !rows.empty() ? json(cursor_of(rows.back()))
                                                              : json(nullptr);
          send_json(res, json{{"entries", entries}, {"next_cursor", next}});
        }));

  s.get("/api/v1/logs/patterns",
        json_handler([this](const http::Request& req, http::Response& res) {
          store::LogPatternQuery q;
          q.filter = get_log_query(req.params);
          if (q.filter.pattern) throw ParamError("pattern", "pattern filters /logs, not /patterns");
          q.limit = q.filter.limit;
          // Whole minutes: patterns are counted by minute.
          q.step_s =
              std::max<uint64_t>(60, (get_log_step(req.params, q.filter.range) + 59) / 60 * 60);
          if (auto v = get_string(req.params, "new_since")) {
            auto t = parse_time(*v);
            if (!t)
              throw ParamError("new_since",
                               "'" + *v + "' is not a time: use unix seconds or RFC 3339");
            q.first_seen_after_ns = *t;
          }
          json patterns = json::array();
          for (const auto& r : store_.log_patterns(q)) patterns.push_back(pattern_json(r));
          send_json(res, json{{"step_s", q.step_s}, {"patterns", patterns}});
        }));

  s.get("/api/v1/logs/histogram",
        json_handler([this](const http::Request& req, http::Response& res) {
          store::LogQuery q = get_log_query(req.params);
          uint64_t step = get_log_step(req.params, q.range);
          json points = json::array();
          for (const auto& p : store_.log_histogram(q, step)) {
            json counts = json::object();
            for (size_t l = 0; l < p.counts.size(); ++l) {
              if (p.counts[l] == 0) continue;
              std::string_view name = logs::to_string(static_cast<logs::Level>(l));
              counts[name.empty() ? "unknown" : std::string(name)] = p.counts[l];
            }
            points.push_back({{"t", p.t}, {"counts", counts}});
          }
          send_json(res, json{{"step_s", step}, {"points", points}});
        }));
}

}  // namespace loupe::server
