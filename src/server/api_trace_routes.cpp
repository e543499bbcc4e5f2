// Trace routes of the API (docs/api.md, docs/traces.md): one trace by id,
// and traces found by service, duration and time.
#include "core/span_id.h"
#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "traces/assembler.h"

namespace loupe::server {

namespace {

using nlohmann::json;
using traces::TraceAssembler;
using traces::TraceSpan;

constexpr size_t kDefaultTraces = 20;
constexpr size_t kMaxTraces = 200;

std::string operation_of(const Record& r) {
  std::string op = r.method;
  const std::string& what = r.route.empty() ? r.path : r.route;
  if (!what.empty()) op.append(op.empty() ? "" : " ").append(what);
  return op.empty() ? std::string(to_string(r.protocol)) : op;
}

json span_json(const TraceSpan& s, const std::string& trace_id) {
  const Record& r = s.request.record;
  return {
      {"trace_id", trace_id},
      {"span_id", span_id_hex(s.span_id)},
      {"parent_span_id", s.parent_span_id ? json(span_id_hex(s.parent_span_id)) : json(nullptr)},
      {"link", s.link.empty() ? json(nullptr) : json(s.link)},
      {"ambiguous", s.ambiguous},
      {"service", s.request.service},
      {"operation", operation_of(r)},
      {"kind", to_string(r.role)},
      {"protocol", to_string(r.protocol)},
      {"start_ns", r.start_ns},
      {"duration_ms", static_cast<double>(r.duration_ns()) / 1e6},
      {"error", r.error},
      {"request", to_json(s.request)}};
}

}  // namespace

void ApiServer::trace_routes() {
  auto assembler = [this] {
    return TraceAssembler([this](const store::RequestQuery& q) { return store_.requests(q); });
  };
  router_.get("/api/v1/traces",
              json_handler([assembler](const http::Request& req, http::Response& res) {
                const auto& p = req.params;
                size_t limit = kDefaultTraces;
                if (auto v = get_string(p, "limit")) {
                  limit = std::strtoul(v->c_str(), nullptr, 10);
                  if (limit < 1 || limit > kMaxTraces)
                    throw ParamError("limit", "limit must be 1.." + std::to_string(kMaxTraces));
                }
                auto found = assembler().find(get_string(p, "service"), get_min_duration_ns(p),
                                              get_range(p, now_unix_ns()), limit);
                json out = json::array();
                for (const auto& t : found) {
                  json root = span_json(t.root, t.trace_id);
                  out.push_back({{"trace_id", t.trace_id}, {"root", std::move(root)}});
                }
                send_json(res, out);
              }));
  router_.add_prefix("GET", "/api/v1/traces/",
                     json_handler([assembler](const http::Request& req, http::Response& res) {
                       std::string id = req.path.substr(std::string_view("/api/v1/traces/").size());
                       // A traceparent trace id is looked up in the range (default: the
                       // last 24 h); Loupe's own ids say where they start.
                       store::TimeRange range = get_range(req.params, now_unix_ns());
                       if (!get_string(req.params, "from"))
                         range.from_ns = range.to_ns - 24ULL * 3600 * 1'000'000'000;
                       auto trace = assembler().trace(id, range);
                       if (!trace) {
                         send_json(res, {{"error", "no trace " + id}}, 404);
                         return;
                       }
                       json spans = json::array();
                       for (const auto& s : trace->spans)
                         spans.push_back(span_json(s, trace->trace_id));
                       send_json(res, {{"trace_id", trace->trace_id},
                                       {"truncated", trace->truncated},
                                       {"spans", std::move(spans)}});
                     }));
}

}  // namespace loupe::server
