#include "protocols/registry.h"

#include <array>

#include "protocols/dns/dns.h"
#include "protocols/finishing_parser.h"
#include "protocols/http1/http1.h"
#include "protocols/http2/http2.h"
#include "protocols/mysql/mysql.h"
#include "protocols/postgres/postgres.h"
#include "protocols/redis/redis.h"

namespace loupe {
namespace {

// `--redact off`: SQL statements with their literals.
std::unique_ptr<ProtocolParser> postgres_verbatim(Role role) {
  return postgres::make_parser(role, {.keep_literals = true});
}
std::unique_ptr<ProtocolParser> mysql_verbatim(Role role) {
  return mysql::make_parser(role, {.keep_literals = true});
}

// Order matters only among protocols whose first bytes could look alike;
// detection asks modules with a matching default port first.
const ProtocolModule kModules[] = {
    {Protocol::Http1, http1::kDefaultPorts, http1::detect, http1::make_parser},
    {Protocol::Http2, http2::kDefaultPorts, http2::detect, http2::make_parser},
    {Protocol::Postgres, postgres::kDefaultPorts, postgres::detect, postgres::make_parser,
     postgres_verbatim},
    {Protocol::Mysql, mysql::kDefaultPorts, mysql::detect, mysql::make_parser, mysql_verbatim},
    {Protocol::Redis, redis::kDefaultPorts, redis::detect, redis::make_parser},
    {Protocol::Dns, dns::kDefaultPorts, dns::detect, dns::make_parser},
};

}  // namespace

std::span<const ProtocolModule> protocol_modules() { return kModules; }

std::unique_ptr<ProtocolParser> make_parser(Protocol protocol, Role role, Redaction redaction) {
  for (const auto& m : kModules) {
    if (m.protocol != protocol) continue;
    bool verbatim = redaction == Redaction::Off && m.make_verbatim_parser;
    return finish_records(verbatim ? m.make_verbatim_parser(role) : m.make_parser(role), redaction);
  }
  return nullptr;
}

}  // namespace loupe
