// NATS, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/nats/nats.h"

namespace loupe {

LOUPE_PROTOCOL(Nats, "nats", 9);

constinit const ProtocolModule declared::Nats{
    .protocol = Protocol::Nats,
    .display_name = "NATS",
    .docs_page = "nats.md",
    .default_ports = nats::kDefaultPorts,
    .fields = {.method = "operation (PUB, HPUB, MSG, HMSG, SUB, UNSUB, PING, ERR)",
               .path = "subject",
               .route = "subject, inboxes and numeric tokens folded (orders.*.paid)",
               .error_code = "-ERR text up to \" for \"",
               .detail = "message size; queue group of a SUB; who sent a PING"},
    .detect = nats::detect,
    .make_parser = nats::make_parser,
    .redact = path_as_route_when_strict,
    .redaction = {.strict = "subject as its route"},
};

}  // namespace loupe
