// HTTP/1.x, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/http1/http1.h"

namespace loupe {

LOUPE_PROTOCOL(Http1, "http1", 1);

constinit const ProtocolModule declared::Http1{
    .protocol = Protocol::Http1,
    .display_name = "HTTP/1.x",
    .docs_page = "http1.md",
    .default_ports = http1::kDefaultPorts,
    .fields = {.method = "request method",
               .path = "request target",
               .route = "path templated (/users/{id})",
               .host = "Host header",
               .status = "response status code"},
    .detect = http1::detect,
    .make_parser = http1::make_parser,
    .redact = mask_query_or_route,
    .redaction = {.default_level = "query-string values", .strict = "path as its route"},
};

}  // namespace loupe
