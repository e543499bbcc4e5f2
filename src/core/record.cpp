#include "core/record.h"

#include <array>
#include <initializer_list>
#include <utility>

#include "core/heap_bytes.h"

namespace loupe {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoleNames{{
    {Role::Unknown, "unknown"},
    {Role::Client, "client"},
    {Role::Server, "server"},
}};

}  // namespace

std::string_view to_string(Protocol p) { return protocol_ids::name_of(p); }

std::string_view to_string(Role r) {
  for (const auto& [value, name] : kRoleNames)
    if (value == r) return name;
  return "unknown";
}

Protocol protocol_from_string(std::string_view s) {
  for (const auto& [value, name] : protocol_ids::kNames)
    if (name == s) return value;
  return Protocol::Unknown;
}

Role role_from_string(std::string_view s) {
  for (const auto& [value, name] : kRoleNames)
    if (name == s) return value;
  return Role::Unknown;
}

size_t memory_bytes(const Record& r) {
  size_t n = sizeof(Record);
  for (const std::string* s : {&r.comm, &r.local_addr, &r.remote_addr, &r.method, &r.path, &r.route,
                               &r.host, &r.error_code, &r.error_message, &r.detail, &r.trace_id})
    n += heap_bytes(*s);
  return n;
}

}  // namespace loupe
