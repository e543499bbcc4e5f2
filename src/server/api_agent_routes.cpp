// Node agents' stats reports (docs/api.md): the latest per node, shown in
// /api/v1/status under "agents".
#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"

namespace loupe::server {

void ApiServer::agent_routes() {
  using nlohmann::json;
  router_.post("/api/v1/agents/stats",
               json_handler([this](const http::Request& req, http::Response& res) {
                 // The HTTP layer has checked the token and undone Content-Encoding.
                 auto body = parse_json_capped(req.body, kMaxValuesSmallBody);
                 agents_->update(body, now_unix_ns());
                 send_json(res, json{{"ok", true}});
               }));
}

}  // namespace loupe::server
