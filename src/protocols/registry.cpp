#include "protocols/registry.h"

#include "protocols/amqp/amqp.h"
#include "protocols/dns/dns.h"
#include "protocols/finishing_parser.h"
#include "protocols/http1/http1.h"
#include "protocols/http2/http2.h"
#include "protocols/memcached/memcached.h"
#include "protocols/mysql/mysql.h"
#include "protocols/nats/nats.h"
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

constexpr RecordFieldMeanings kSqlFields{
    .method = "first SQL keyword (SELECT, INSERT...)",
    .path = "statement, literals masked",
    .route = "normalized statement",
    .host = "database",
    .error_code = "error code",
    .detail = "completion (rows, affected, command tag)",
};

// Order matters only among protocols whose first bytes could look alike;
// detection asks modules with a matching default port first. Memcached
// precedes Redis: a lower-case "get k" line is valid in both, and memcached
// clients send such lines while Redis clients send RESP arrays. NATS precedes
// Redis too: its server greets with "INFO {", which Redis would take for an
// inline INFO had a client sent it. The field
// meanings summarise each docs page's "Records" table.
const ProtocolModule kModules[] = {
    {.protocol = Protocol::Http1,
     .display_name = "HTTP/1.x",
     .docs_page = "http1.md",
     .default_ports = http1::kDefaultPorts,
     .fields = {.method = "request method",
                .path = "request target",
                .route = "path templated (/users/{id})",
                .host = "Host header",
                .status = "response status code"},
     .detect = http1::detect,
     .make_parser = http1::make_parser},
    {.protocol = Protocol::Http2,
     .display_name = "HTTP/2",
     .docs_page = "http2.md",
     .default_ports = http2::kDefaultPorts,
     .fields = {.method = ":method",
                .path = ":path",
                .route = "path templated (/users/{id})",
                .host = ":authority",
                .status = ":status",
                .error_code = "RST_STREAM code",
                .detail = "partial when some of the stream was not seen"},
     .detect = http2::detect,
     .make_parser = http2::make_parser,
     .make_switched_parser = http2::make_switched_parser},
    {.protocol = Protocol::Grpc,
     .display_name = "gRPC",
     .docs_page = "http2.md",
     .default_ports = http2::kDefaultPorts,
     .fields = {.method = "RPC method",
                .path = "/package.Service/Method",
                .route = "/package.Service/Method",
                .host = ":authority",
                .status = "grpc-status",
                .error_code = "status name (NOT_FOUND...)",
                .detail = "message counts each way"},
     .carried_by = Protocol::Http2},
    {.protocol = Protocol::Postgres,
     .display_name = "PostgreSQL",
     .docs_page = "postgres.md",
     .default_ports = postgres::kDefaultPorts,
     .fields = kSqlFields,
     .detect = postgres::detect,
     .make_parser = postgres::make_parser,
     .make_verbatim_parser = postgres_verbatim},
    {.protocol = Protocol::Mysql,
     .display_name = "MySQL / MariaDB",
     .docs_page = "mysql.md",
     .default_ports = mysql::kDefaultPorts,
     .fields = kSqlFields,
     .detect = mysql::detect,
     .make_parser = mysql::make_parser,
     .make_verbatim_parser = mysql_verbatim},
    {.protocol = Protocol::Memcached,
     .display_name = "Memcached",
     .docs_page = "memcached.md",
     .default_ports = memcached::kDefaultPorts,
     .fields = {.method = "command (GET, SET, MG...)",
                .path = "key (the first one of a multi-key get)",
                .route = "command",
                .error_code = "ERROR, CLIENT_ERROR or SERVER_ERROR",
                .detail = "hit/miss of a lookup, else the reply (STORED, HD...) or noreply"},
     .detect = memcached::detect,
     .make_parser = memcached::make_parser},
    {.protocol = Protocol::Nats,
     .display_name = "NATS",
     .docs_page = "nats.md",
     .default_ports = nats::kDefaultPorts,
     .fields = {.method = "operation (PUB, HPUB, MSG, HMSG, SUB, UNSUB, PING, ERR)",
                .path = "subject",
                .route = "subject, inboxes and numeric tokens folded (orders.*.paid)",
                .error_code = "-ERR text up to \" for \"",
                .detail = "message size; queue group of a SUB; who sent a PING"},
     .detect = nats::detect,
     .make_parser = nats::make_parser},
    {.protocol = Protocol::Amqp,
     .display_name = "AMQP 0-9-1",
     .docs_page = "amqp.md",
     .default_ports = amqp::kDefaultPorts,
     .fields = {.method = "method (basic.publish, basic.deliver, queue.declare...)",
                .path =
                    "exchange/routing key of a message sent; queue of a delivery or queue method",
                .route = "path, generated names and numeric tokens folded (amq.gen-*)",
                .host = "virtual host",
                .status = "reply code of a close or return (404...)",
                .error_code = "reply code name (NOT_FOUND, NO_ROUTE...)",
                .detail = "body size (and where a delivery came from); the answer's counts"},
     .detect = amqp::detect,
     .make_parser = amqp::make_parser},
    {.protocol = Protocol::Redis,
     .display_name = "Redis",
     .docs_page = "redis.md",
     .default_ports = redis::kDefaultPorts,
     .fields = {.method = "command (GET, CLIENT SETNAME...)",
                .path = "key",
                .route = "command",
                .error_code = "first word of the error (ERR, WRONGTYPE...)"},
     .detect = redis::detect,
     .make_parser = redis::make_parser},
    {.protocol = Protocol::Dns,
     .display_name = "DNS",
     .docs_page = "dns.md",
     .default_ports = dns::kDefaultPorts,
     .fields = {.method = "query type (A, AAAA...)",
                .path = "query name",
                .route = "query name",
                .status = "rcode",
                .error_code = "rcode name (NXDOMAIN...)",
                .detail = "answers"},
     .detect = dns::detect,
     .make_parser = dns::make_parser},
};

}  // namespace

std::span<const ProtocolModule> protocol_modules() { return kModules; }

const ProtocolModule* find_protocol_module(Protocol protocol) {
  for (const auto& m : kModules)
    if (m.protocol == protocol) return &m;
  return nullptr;
}

std::string protocol_names() {
  std::string out;
  for (size_t i = 0; i < std::size(kModules); ++i) {
    if (i > 0) out += i + 1 == std::size(kModules) ? " or " : ", ";
    out += to_string(kModules[i].protocol);
  }
  return out;
}

std::unique_ptr<ProtocolParser> make_switched_parser(const ProtocolSwitch& sw) {
  const ProtocolModule* m = find_protocol_module(sw.protocol);
  return m && m->make_switched_parser ? m->make_switched_parser(sw) : nullptr;
}

std::unique_ptr<ProtocolParser> make_parser(Protocol protocol, Role role, Redaction redaction) {
  const ProtocolModule* m = find_protocol_module(protocol);
  if (!m || !m->make_parser) return nullptr;
  bool verbatim = redaction == Redaction::Off && m->make_verbatim_parser;
  return finish_records(verbatim ? m->make_verbatim_parser(role) : m->make_parser(role), redaction);
}

}  // namespace loupe
