#include "protocols/registry.h"

#include <array>

#include "protocols/dns/dns.h"
#include "protocols/http1/http1.h"
#include "protocols/mysql/mysql.h"
#include "protocols/postgres/postgres.h"
#include "protocols/redis/redis.h"

namespace loupe {
namespace {

// Order matters only among protocols whose first bytes could look alike;
// detection asks modules with a matching default port first.
const ProtocolModule kModules[] = {
    {Protocol::Http1, http1::kDefaultPorts, http1::detect, http1::make_parser},
    {Protocol::Postgres, postgres::kDefaultPorts, postgres::detect, postgres::make_parser},
    {Protocol::Mysql, mysql::kDefaultPorts, mysql::detect, mysql::make_parser},
    {Protocol::Redis, redis::kDefaultPorts, redis::detect, redis::make_parser},
    {Protocol::Dns, dns::kDefaultPorts, dns::detect, dns::make_parser},
};

}  // namespace

std::span<const ProtocolModule> protocol_modules() { return kModules; }

std::unique_ptr<ProtocolParser> make_parser(Protocol protocol, Role role) {
  for (const auto& m : kModules)
    if (m.protocol == protocol) return m.make_parser(role);
  return nullptr;
}

}  // namespace loupe
