#include "server/http/access.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace loupe::server::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A name a rebinding attacker cannot own: an address, or localhost (which
// browsers resolve to loopback themselves).
bool names_this_machine(const AccessPolicy& policy, const std::string& host) {
  return !host.empty() && (host == "localhost" || is_ip_literal(host) ||
                           (!policy.listen_host.empty() && host == lower(policy.listen_host)));
}

}  // namespace

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view prefix = "Bearer ";
  if (authorization.size() != prefix.size() + token.size() ||
      authorization.substr(0, prefix.size()) != prefix)
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(authorization[prefix.size() + i] ^ token[i]);
  return diff == 0;
}

std::string host_of(std::string_view v) {
  if (auto scheme = v.find("://"); scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
  v = v.substr(0, v.find('/'));
  if (v.starts_with('[')) {
    auto close = v.find(']');
    if (close == std::string_view::npos) return "";
    auto rest = v.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return "";
    return lower(v.substr(1, close - 1));
  }
  auto colon = v.find(':');
  if (colon != std::string_view::npos && v.find(':', colon + 1) != std::string_view::npos)
    return "";  // a bare IPv6 address without brackets is not a valid Host
  return lower(v.substr(0, colon));
}

std::optional<Response> check_access(const AccessPolicy& policy, const Request& head) {
  if (std::find(policy.closed_paths.begin(), policy.closed_paths.end(), head.path) !=
      policy.closed_paths.end()) {
    Response res;
    res.set_error(403,
                  policy.closed_reason.empty() ? head.path + " is closed" : policy.closed_reason);
    return res;
  }
  if (policy.local_only) {
    std::string host = head.header("Host");
    std::string origin = head.header("Origin");
    bool host_ok = host.empty() || names_this_machine(policy, host_of(host));
    bool origin_ok = origin.empty() || names_this_machine(policy, host_of(origin));
    if (!host_ok || !origin_ok) {
      Response res;
      res.set_error(403, std::string("refused: the ") + (host_ok ? "Origin" : "Host") +
                             " header does not name this machine; open Loupe by IP address "
                             "or as localhost");
      return res;
    }
  }
  // /metrics carries service names and routes: Prometheus sends the token
  // like any API client (docs/export.md).
  bool needs_token = head.path.starts_with("/api/") || head.path == "/metrics";
  if (!policy.token.empty() && needs_token &&
      !bearer_matches(head.header("Authorization"), policy.token)) {
    Response res;
    res.set_header("WWW-Authenticate", "Bearer");
    res.set_content(
        R"({"error":"missing or wrong token: send Authorization: Bearer <token>","parameter":"Authorization"})",
        "application/json");
    res.status = 401;
    return res;
  }
  return std::nullopt;
}

}  // namespace loupe::server::http
