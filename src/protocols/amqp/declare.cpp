// AMQP 0-9-1, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/amqp/amqp.h"

namespace loupe {

LOUPE_PROTOCOL(Amqp, "amqp", 10);

constinit const ProtocolModule declared::Amqp{
    .protocol = Protocol::Amqp,
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
    .make_parser = amqp::make_parser,
    .redact = path_as_route_when_strict,
    .redaction = {.strict = "path as its route"},
};

}  // namespace loupe
