// CPU profile routes of the API (docs/api.md, docs/profiling.md): the
// agents' per-minute profile ingest, and the stacks of a window for a
// workload, pod, process or node as a JSON call tree or folded stacks.
#include <charconv>
#include <optional>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "server/ingest_decode.h"
#include "server/pprof.h"

namespace loupe::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxFunctions = 1'000;

store::ProfileQuery get_profile_query(const Params& p) {
  store::ProfileQuery q;
  q.node = get_string(p, "node");
  q.workload = get_string(p, "workload");
  q.pod = get_string(p, "pod");
  // A pid or a process name.
  if (auto v = get_string(p, "process")) {
    uint32_t pid = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), pid);
    if (ec == std::errc() && end == v->data() + v->size())
      q.pid = pid;
    else
      q.process = *v;
  }
  q.range = get_range(p, now_unix_ns());
  return q;
}

// The baseline window of a differential profile: compare_from and
// compare_to, read as from and to are.
std::optional<store::TimeRange> get_compare_range(const Params& p) {
  auto from = get_string(p, "compare_from");
  auto to = get_string(p, "compare_to");
  if (!from && !to) return std::nullopt;
  if (!from || !to)
    throw ParamError(from ? "compare_to" : "compare_from",
                     "a differential profile needs both compare_from and compare_to");
  Params window;
  window.emplace("from", *from);
  window.emplace("to", *to);
  try {
    return get_range(window, now_unix_ns());
  } catch (const ParamError& e) {
    throw ParamError("compare_" + e.parameter(), e.what());
  }
}

}  // namespace

uint64_t ApiServer::ingest_profiles(std::vector<ProfileMinute> minutes,
                                    const std::optional<BatchKey>& key) {
  cluster_->enrich(minutes);
  return store_.write_profiles(minutes, key);
}

void ApiServer::profile_routes() {
  auto& s = router_;

  s.post("/api/v1/profile/ingest",
         json_handler([this](const http::Request& req, http::Response& res) {
           // The HTTP layer has checked the token and undone Content-Encoding.
           std::vector<ProfileMinute> minutes;
           json body;
           try {
             body = json::parse(req.body);
             minutes = profile_batch_from_json(body);
           } catch (const std::exception& e) {
             throw ParamError("body", std::string("not a profile batch: ") + e.what());
           }
           // The agent's key for the part: sent again after a lost answer,
           // it is stored once (0 samples the second time).
           std::optional<BatchKey> key = decode_batch_key(body);
           size_t n = minutes.size();
           uint64_t stored = ingest_profiles(std::move(minutes), key);
           send_json(res, json{{"accepted", n}, {"samples", stored}});
         }));

  s.get("/api/v1/profile", json_handler([this](const http::Request& req, http::Response& res) {
          store::ProfileQuery q = get_profile_query(req.params);
          std::string format = get_string(req.params, "format").value_or("json");
          if (format != "json" && format != "folded" && format != "pprof")
            throw ParamError("format", "format must be json, folded or pprof");
          ProfileStacks stacks = store_.profile(q);
          std::optional<ProfileStacks> baseline;
          auto compare = get_compare_range(req.params);
          if (compare) {
            if (format == "pprof")
              throw ParamError("format", "a differential profile is json or folded, not pprof");
            store::ProfileQuery bq = q;
            bq.range = *compare;
            baseline = store_.profile(bq);
          }
          if (format == "folded") {
            res.set_content(baseline ? stacks.to_folded_diff(*baseline) : stacks.to_folded(),
                            "text/plain; charset=utf-8");
            return;
          }
          if (format == "pprof") {
            res.set_content(to_pprof(stacks, q.range.from_ns, q.range.to_ns - q.range.from_ns),
                            "application/octet-stream");
            res.headers.emplace("Content-Disposition", "attachment; filename=\"profile.pb.gz\"");
            return;
          }
          const ProfileStacks* base = baseline ? &*baseline : nullptr;
          json out{{"from", format_rfc3339_ns(q.range.from_ns)},
                   {"to", format_rfc3339_ns(q.range.to_ns)},
                   {"samples", stacks.total()},
                   {"stacks", stacks.stacks().size()},
                   {"root", stacks.to_json_tree(base)},
                   {"functions", stacks.to_function_table(kMaxFunctions, base)}};
          if (base)
            out["baseline"] = {{"from", format_rfc3339_ns(compare->from_ns)},
                               {"to", format_rfc3339_ns(compare->to_ns)},
                               {"samples", base->total()}};
          send_json(res, out);
        }));
}

}  // namespace loupe::server
