// Alerting routes of the API (docs/api.md): alerts, rules with their last
// evaluation, and silences. Without an engine (tests that build a bare
// ApiServer) they answer 404 like any unknown route.
#include <httplib.h>

#include "server/api_handler.h"
#include "server/api_server.h"

namespace loupe::server {

void ApiServer::alert_routes() {
  using nlohmann::json;
  if (!options_.alerts) return;
  alerts::Engine& engine = *options_.alerts;
  auto& s = *http_;

  s.Get("/api/v1/alerts",
        json_handler([&engine](const httplib::Request& req, httplib::Response& res) {
          std::optional<alerts::AlertState> state;
          if (auto text = get_string(req.params, "state")) {
            state = alerts::alert_state_from_string(*text);
            if (!state || *state == alerts::AlertState::Inactive)
              throw ParamError("state",
                               "expected firing, pending or resolved, got '" + *text + "'");
          }
          send_json(res, engine.alerts_json(state));
        }));

  s.Get("/api/v1/alerts/rules",
        json_handler([&engine](const httplib::Request&, httplib::Response& res) {
          send_json(res, engine.rules_json());
        }));

  s.Get("/api/v1/silences",
        json_handler([&engine](const httplib::Request&, httplib::Response& res) {
          send_json(res, engine.silences_json());
        }));

  s.Post("/api/v1/silences",
         json_handler([this, &engine](const httplib::Request& req, httplib::Response& res) {
           if (!authorized(req, res)) return;
           auto body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
           if (body.is_discarded()) throw ParamError("body", "body is not valid JSON");
           try {
             send_json(res, json{{"silenceID", engine.add_silence(body)}});
           } catch (const std::invalid_argument& e) {
             throw ParamError("body", e.what());
           }
         }));

  s.Delete(R"(/api/v1/silences/([0-9a-f]+))",
           json_handler([this, &engine](const httplib::Request& req, httplib::Response& res) {
             if (!authorized(req, res)) return;
             std::string id = req.matches[1];
             if (!engine.expire_silence(id)) {
               send_json(res, error_json("no silence with id " + id, "id"), 404);
               return;
             }
             send_json(res, json{{"expired", id}});
           }));
}

}  // namespace loupe::server
