// Memcached, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/memcached/memcached.h"

namespace loupe {

LOUPE_PROTOCOL(Memcached, "memcached", 8);

constinit const ProtocolModule declared::Memcached{
    .protocol = Protocol::Memcached,
    .display_name = "Memcached",
    .docs_page = "memcached.md",
    .default_ports = memcached::kDefaultPorts,
    .fields = {.method = "command (GET, SET, MG...)",
               .path = "key (the first one of a multi-key get)",
               .route = "command",
               .error_code = "ERROR, CLIENT_ERROR or SERVER_ERROR",
               .detail = "hit/miss of a lookup, else the reply (STORED, HD...) or noreply"},
    .detect = memcached::detect,
    .make_parser = memcached::make_parser,
    .redact = drop_path_when_strict,
    .redaction = {.strict = "key dropped"},
};

}  // namespace loupe
