// PostgreSQL, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/postgres/postgres.h"
#include "protocols/sql/declaration.h"

namespace loupe {

LOUPE_PROTOCOL(Postgres, "postgres", 3);

constinit const ProtocolModule declared::Postgres{
    .protocol = Protocol::Postgres,
    .display_name = "PostgreSQL",
    .docs_page = "postgres.md",
    .default_ports = postgres::kDefaultPorts,
    .fields = sql::kRecordFields,
    .detect = postgres::detect,
    .make_parser = postgres::make_parser,
    .make_verbatim_parser = sql::make_verbatim_parser<postgres::make_parser>,
    .redact = sql::mask_error_literals<sql::Dialect::Postgres>,
    .redaction = sql::kRedaction,
};

}  // namespace loupe
