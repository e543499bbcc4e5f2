// MySQL / MariaDB, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/mysql/mysql.h"
#include "protocols/sql/declaration.h"

namespace loupe {

LOUPE_PROTOCOL(Mysql, "mysql", 4);

constinit const ProtocolModule declared::Mysql{
    .protocol = Protocol::Mysql,
    .display_name = "MySQL / MariaDB",
    .docs_page = "mysql.md",
    .default_ports = mysql::kDefaultPorts,
    .fields = sql::kRecordFields,
    .detect = mysql::detect,
    .make_parser = mysql::make_parser,
    .make_verbatim_parser = sql::make_verbatim_parser<mysql::make_parser>,
    .redact = sql::mask_error_literals<sql::Dialect::Mysql>,
    .redaction = sql::kRedaction,
};

}  // namespace loupe
