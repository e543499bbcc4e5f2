// DNS, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/dns/dns.h"

namespace loupe {

LOUPE_PROTOCOL(Dns, "dns", 6);

constinit const ProtocolModule declared::Dns{
    .protocol = Protocol::Dns,
    .display_name = "DNS",
    .docs_page = "dns.md",
    .default_ports = dns::kDefaultPorts,
    .fields = {.method = "query type (A, AAAA...)",
               .path = "query name",
               .route = "query name",
               .status = "rcode",
               .error_code = "rcode name (NXDOMAIN...)",
               .detail = "answers"},
    // A plausible message header, not a signature: asked after the
    // protocols that have one.
    .loose_detection = true,
    .detect = dns::detect,
    .make_parser = dns::make_parser,
    .redact = drop_detail_when_strict,
    .redaction = {.strict = "answers dropped"},
};

}  // namespace loupe
