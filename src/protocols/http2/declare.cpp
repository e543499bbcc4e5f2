// HTTP/2 and gRPC (found in HTTP/2 streams), declared once
// (src/protocols/registry.h); the protocol list is generated from every
// folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/http2/http2.h"

namespace loupe {

LOUPE_PROTOCOL(Http2, "http2", 2);
LOUPE_PROTOCOL(Grpc, "grpc", 7);

constinit const ProtocolModule declared::Http2{
    .protocol = Protocol::Http2,
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
    .make_switched_parser = http2::make_switched_parser,
    .redact = mask_query_or_route,
    .redaction = {.default_level = "query-string values", .strict = "path as its route"},
};

constinit const ProtocolModule declared::Grpc{
    .protocol = Protocol::Grpc,
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
    .carried_by = Protocol::Http2,
};

}  // namespace loupe
