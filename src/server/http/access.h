// Who may send what, decided from the request line and headers alone, before
// any byte of the body is read (docs/security.md):
//  - with a token, every /api/ request and /metrics need "Authorization: Bearer <token>";
//  - with `local_only`, the Host (and Origin, when sent) must name this
//    machine by IP or "localhost", so a web page on a domain that a DNS
//    rebinding points at 127.0.0.1 cannot read or drive the API;
//  - closed paths (ingest on `loupe run`) are refused outright.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/message.h"

namespace loupe::server::http {

struct AccessPolicy {
  std::string token;        // non-empty: /api/ and /metrics need it
  bool local_only = false;  // Host/Origin must be an IP literal, "localhost" or listen_host
  std::string listen_host;  // the --listen host, also accepted as Host
  std::vector<std::string> closed_paths;  // 403 whatever the credentials...
  std::string closed_reason;              // ...saying this
};

// nullopt: go on; otherwise the response to send (401, 403) without reading
// the body.
std::optional<Response> check_access(const AccessPolicy& policy, const Request& head);

// Constant-time comparison of an Authorization value with "Bearer <token>",
// so the time to answer does not tell how much of a guess was right.
bool bearer_matches(std::string_view authorization, std::string_view token);

// The host part of a Host header or of an Origin URL ("http://a:1" -> "a",
// "[::1]:80" -> "::1"); "" when it cannot be parsed.
std::string host_of(std::string_view host_header_or_origin);

}  // namespace loupe::server::http
