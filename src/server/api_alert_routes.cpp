// Alerting routes of the API (docs/api.md): alerts, rules with their last
// evaluation, and silences. Without an engine (tests that build a bare
// ApiServer) they answer 404 like any unknown route. The HTTP layer checks
// the token before any of them runs (reads included).
#include <algorithm>

#include "server/api_handler.h"
#include "server/api_server.h"

namespace loupe::server {

void ApiServer::alert_routes() {
  using nlohmann::json;
  if (!options_.alerts) return;
  alerts::Engine& engine = *options_.alerts;
  auto& s = router_;

  s.get("/api/v1/alerts", json_handler([&engine](const http::Request& req, http::Response& res) {
          std::optional<alerts::AlertState> state;
          if (auto text = get_string(req.params, "state")) {
            state = alerts::alert_state_from_string(*text);
            if (!state || *state == alerts::AlertState::Inactive)
              throw ParamError("state",
                               "expected firing, pending or resolved, got '" + *text + "'");
          }
          send_json(res, engine.alerts_json(state));
        }));

  s.get("/api/v1/alerts/rules", json_handler([&engine](const http::Request&, http::Response& res) {
          send_json(res, engine.rules_json());
        }));

  s.get("/api/v1/silences", json_handler([&engine](const http::Request&, http::Response& res) {
          send_json(res, engine.silences_json());
        }));

  s.post("/api/v1/silences", json_handler([&engine](const http::Request& req, http::Response& res) {
           auto body = parse_json_capped(req.body, kMaxValuesSmallBody);
           try {
             send_json(res, json{{"silenceID", engine.add_silence(body)}});
           } catch (const std::invalid_argument& e) {
             throw ParamError("body", e.what());
           }
         }));

  static const std::string kSilence = "/api/v1/silences/";
  s.add_prefix("DELETE", kSilence,
               json_handler([&engine](const http::Request& req, http::Response& res) {
                 std::string id = req.path.substr(kSilence.size());
                 bool is_id = std::all_of(id.begin(), id.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                 });
                 if (!is_id) {
                   send_json(res, error_json("no such API endpoint: DELETE " + req.path), 404);
                   return;
                 }
                 if (!engine.expire_silence(id)) {
                   send_json(res, error_json("no silence with id " + id, "id"), 404);
                   return;
                 }
                 send_json(res, json{{"expired", id}});
               }));
}

}  // namespace loupe::server
