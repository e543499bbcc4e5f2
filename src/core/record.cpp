#include "core/record.h"

#include <array>
#include <utility>

namespace loupe {
namespace {

constexpr std::array<std::pair<Protocol, std::string_view>, 7> kProtocolNames{{
    {Protocol::Unknown, "unknown"},
    {Protocol::Http1, "http1"},
    {Protocol::Http2, "http2"},
    {Protocol::Postgres, "postgres"},
    {Protocol::Mysql, "mysql"},
    {Protocol::Redis, "redis"},
    {Protocol::Dns, "dns"},
}};

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoleNames{{
    {Role::Unknown, "unknown"},
    {Role::Client, "client"},
    {Role::Server, "server"},
}};

}  // namespace

std::string_view to_string(Protocol p) {
  for (const auto& [value, name] : kProtocolNames)
    if (value == p) return name;
  return "unknown";
}

std::string_view to_string(Role r) {
  for (const auto& [value, name] : kRoleNames)
    if (value == r) return name;
  return "unknown";
}

Protocol protocol_from_string(std::string_view s) {
  for (const auto& [value, name] : kProtocolNames)
    if (name == s) return value;
  return Protocol::Unknown;
}

Role role_from_string(std::string_view s) {
  for (const auto& [value, name] : kRoleNames)
    if (name == s) return value;
  return Role::Unknown;
}

}  // namespace loupe
