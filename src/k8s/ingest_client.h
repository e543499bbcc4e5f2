// POSTs collector payloads to a Loupe server's /api/v1/k8s/ingest (and
// agents' metrics to /api/v1/metrics/ingest).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace loupe::k8s {

// `server` is "http://host:port" or "https://host:port" (system trust store).
// True on 2xx; otherwise *error says what the server or network said.
bool post_ingest(const std::string& server, const std::string& token, const nlohmann::json& payload,
                 std::string* error);

// The same for any JSON ingest route of the server (e.g. the agent's
// "/api/v1/metrics/ingest"): gzip-compressed, bearer token when set.
bool post_json(const std::string& server, const std::string& path, const std::string& token,
               const nlohmann::json& payload, std::string* error);

}  // namespace loupe::k8s
