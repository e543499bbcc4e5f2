// Raw exchanges (docs/api.md): GET /api/v1/requests (filtered, newest or
// slowest first), /api/v1/requests/count (how many match) and
// /api/v1/requests/<id> (one, for a deep link).
#include <algorithm>
#include <charconv>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_json.h"
#include "server/api_params.h"
#include "server/api_server.h"

namespace loupe::server {

namespace {

// Counting reads every matching row: bounded, so a count over a busy day
// answers in about a second, not a minute ("more than 1M").
constexpr uint64_t kMaxCount = 1'000'000;

store::RequestOrder get_order(const Params& p) {
  auto v = get_string(p, "order");
  if (!v || *v == "newest") return store::RequestOrder::Newest;
  if (*v == "slowest") return store::RequestOrder::Slowest;
  throw ParamError("order", "'" + *v + "' is not an order: use newest or slowest");
}

std::optional<bool> get_counted(const Params& p) {
  auto v = get_string(p, "counted");
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  throw ParamError("counted", "'" + *v + "' is not a boolean: use true or false");
}

store::RequestQuery request_query(const Params& p, uint64_t now_ns) {
  store::RequestQuery q;
  q.service = get_string(p, "service");
  q.route = get_string(p, "route");
  q.status = get_status(p);
  q.protocol = get_protocol(p);
  q.min_duration_ns = get_min_duration_ns(p);
  q.counted = get_counted(p);
  q.text = get_string(p, "q").value_or("");
  q.range = get_range(p, now_ns);
  q.limit = get_limit(p);
  q.order = get_order(p);
  q.with_self = get_with_self(p);
  return q;
}

}  // namespace

void ApiServer::request_routes() {
  using nlohmann::json;
  router_.get("/api/v1/requests",
              json_handler([this](const http::Request& req, http::Response& res) {
                auto q = request_query(req.params, now_unix_ns());
                json out = json::array();
                for (const auto& r : store_.requests(q)) out.push_back(to_json(r));
                send_json(res, out);
              }));
  router_.get("/api/v1/requests/count",
              json_handler([this](const http::Request& req, http::Response& res) {
                auto q = request_query(req.params, now_unix_ns());
                uint64_t n = store_.count_requests(q, kMaxCount + 1);
                send_json(res, json{{"count", std::min(n, kMaxCount)}, {"capped", n > kMaxCount}});
              }));
  static const std::string kOne = "/api/v1/requests/";
  router_.add_prefix(
      "GET", kOne, json_handler([this](const http::Request& req, http::Response& res) {
        std::string_view id_text = std::string_view(req.path).substr(kOne.size());
        int64_t id = 0;
        auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
        if (ec != std::errc{} || end != id_text.data() + id_text.size() || id <= 0)
          throw ParamError("id", "'" + std::string(id_text) +
                                     "' is not a request id: use the `id` of a "
                                     "/api/v1/requests record");
        auto r = store_.request(id);
        if (!r)
          return send_json(res,
                           error_json("no request with id " + std::string(id_text) +
                                      ": it may have expired (retention) or never existed"),
                           404);
        send_json(res, to_json(*r));
      }));
}

}  // namespace loupe::server
