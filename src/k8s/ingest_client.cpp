#include "k8s/ingest_client.h"

#include <httplib.h>

namespace loupe::k8s {

bool post_ingest(const std::string& server, const std::string& token, const nlohmann::json& payload,
                 std::string* error) {
  return post_json(server, "/api/v1/k8s/ingest", token, payload, error);
}

bool post_json(const std::string& server, const std::string& path, const std::string& token,
               const nlohmann::json& payload, std::string* error) {
  std::string base = server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  httplib::Client cli(base);
  if (!cli.is_valid()) {
    *error = "bad --server URL '" + server + "'";
    return false;
  }
  cli.set_connection_timeout(10);
  cli.set_read_timeout(30);
  cli.set_compress(true);  // snapshots of big clusters are megabytes of repetitive JSON
  if (!token.empty()) cli.set_bearer_token_auth(token);
  auto res = cli.Post(path, payload.dump(), "application/json");
  if (!res) {
    *error = "POST " + base + path + ": " + httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status >= 300) {
    *error = "POST " + base + path + ": HTTP " + std::to_string(res->status) + " " +
             res->body.substr(0, 200);
    if (res->status == 401) *error += " (check --token-file / $LOUPE_TOKEN)";
    return false;
  }
  return true;
}

}  // namespace loupe::k8s
