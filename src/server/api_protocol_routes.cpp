// GET /api/v1/protocols: the protocols Loupe reports, from the one
// declarations in protocols/*/declare.cpp; the UI's protocol filter reads it.
#include "protocols/registry.h"
#include "server/api_handler.h"
#include "server/api_server.h"

namespace loupe::server {
namespace {

nlohmann::json fields_json(const RecordFieldMeanings& f) {
  nlohmann::json out = nlohmann::json::object();
  auto put = [&out](const char* key, std::string_view meaning) {
    if (!meaning.empty()) out[key] = meaning;
  };
  put("method", f.method);
  put("path", f.path);
  put("route", f.route);
  put("host", f.host);
  put("status", f.status);
  put("error_code", f.error_code);
  put("detail", f.detail);
  return out;
}

}  // namespace

void ApiServer::protocol_routes() {
  router_.get("/api/v1/protocols", json_handler([](const http::Request&, http::Response& res) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& m : protocol_modules()) {
                  out.push_back({
                      {"name", to_string(m.protocol)},
                      {"display_name", m.display_name},
                      {"default_ports", m.default_ports},
                      {"carried_by", m.carried_by == Protocol::Unknown
                                         ? nlohmann::json(nullptr)
                                         : nlohmann::json(to_string(m.carried_by))},
                      {"fields", fields_json(m.fields)},
                      {"docs", "docs/protocols/" + std::string(m.docs_page)},
                  });
                }
                send_json(res, out);
              }));
}

}  // namespace loupe::server
