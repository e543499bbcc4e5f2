// The HTTP client agents and the collector use to reach a Loupe server, and
// their POSTs of JSON payloads: the collector's to /api/v1/k8s/ingest, the
// agent's metrics to /api/v1/metrics/ingest.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace httplib {
class Client;
}  // namespace httplib

namespace loupe::k8s {

struct ServerEndpoint {
  std::string url;      // "http://host:port" or "https://host:port"
  std::string token;    // bearer token; empty: no Authorization header
  std::string ca_file;  // https: PEM file of the CA(s) to verify the server; empty: system store
};

// A client for `endpoint` with timeouts, token and CA set, gzip request
// bodies off (callers that want them compress themselves or turn it on).
// Null, with *error set, for a malformed URL or an unreadable CA file.
std::unique_ptr<httplib::Client> server_client(const ServerEndpoint& endpoint, std::string* error);

// POSTs `payload` gzip-compressed to `path` (e.g. "/api/v1/metrics/ingest").
// True on 2xx; otherwise *error says what the server or network said.
bool post_json(const ServerEndpoint& server, const std::string& path, const nlohmann::json& payload,
               std::string* error);

// POSTs a body the caller gzip-compressed (e.g. a spooled batch) to `path`
// as JSON with Content-Encoding: gzip; like post_json otherwise.
bool post_gzip_json(const ServerEndpoint& server, const std::string& path,
                    const std::string& gzip_body, std::string* error);

// post_json to /api/v1/k8s/ingest.
bool post_ingest(const ServerEndpoint& server, const nlohmann::json& payload, std::string* error);

}  // namespace loupe::k8s
