#include "k8s/ingest_client.h"

#include <httplib.h>
#include <unistd.h>

namespace loupe::k8s {

std::unique_ptr<httplib::Client> server_client(const ServerEndpoint& endpoint, std::string* error) {
  std::string base = endpoint.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto cli = std::make_unique<httplib::Client>(base);
  if (!cli->is_valid()) {
    *error = "bad --server URL '" + endpoint.url + "'";
    return nullptr;
  }
  if (!endpoint.ca_file.empty()) {
    if (access(endpoint.ca_file.c_str(), R_OK) != 0) {
      *error = "cannot read --ca-file " + endpoint.ca_file;
      return nullptr;
    }
    cli->set_ca_cert_path(endpoint.ca_file.c_str());
  }
  cli->enable_server_certificate_verification(true);
  cli->set_connection_timeout(std::chrono::seconds(5));
  cli->set_read_timeout(std::chrono::seconds(30));
  cli->set_write_timeout(std::chrono::seconds(30));
  if (!endpoint.token.empty()) cli->set_bearer_token_auth(endpoint.token);
  return cli;
}

namespace {

// POSTs `body` (compressed here when `compress`) and checks the answer.
bool post(const ServerEndpoint& server, const std::string& path, const std::string& body,
          bool compress, const httplib::Headers& headers, std::string* error) {
  auto cli = server_client(server, error);
  if (!cli) return false;
  cli->set_compress(compress);
  std::string where = "POST " + server.url + path;
  auto res = cli->Post(path, headers, body, "application/json");
  if (!res) {
    *error = where + ": " + httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status >= 300) {
    *error = where + ": HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 200);
    if (res->status == 401) *error += " (check --token-file / $LOUPE_TOKEN)";
    return false;
  }
  return true;
}

}  // namespace

bool post_json(const ServerEndpoint& server, const std::string& path, const nlohmann::json& payload,
               std::string* error) {
  // Compressed: snapshots of big clusters are megabytes of repetitive JSON.
  return post(server, path, payload.dump(), true, {}, error);
}

bool post_gzip_json(const ServerEndpoint& server, const std::string& path,
                    const std::string& gzip_body, std::string* error) {
  return post(server, path, gzip_body, false, {{"Content-Encoding", "gzip"}}, error);
}

bool post_ingest(const ServerEndpoint& server, const nlohmann::json& payload, std::string* error) {
  return post_json(server, "/api/v1/k8s/ingest", payload, error);
}

}  // namespace loupe::k8s
