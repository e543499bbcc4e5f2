// Redis, declared once (src/protocols/registry.h); the protocol list is
// generated from every folder's declare.cpp (cmake/Protocols.cmake).
#include "protocols/declare.h"

#include "protocols/redis/redis.h"

namespace loupe {

LOUPE_PROTOCOL(Redis, "redis", 5);

constinit const ProtocolModule declared::Redis{
    .protocol = Protocol::Redis,
    .display_name = "Redis",
    .docs_page = "redis.md",
    .default_ports = redis::kDefaultPorts,
    .fields = {.method = "command (GET, CLIENT SETNAME...)",
               .path = "key",
               .route = "command",
               .error_code = "first word of the error (ERR, WRONGTYPE...)"},
    // A lower-case "get k" line is valid in both Redis and memcached (whose
    // clients send such lines, while Redis clients send RESP arrays), and a
    // NATS server greets with "INFO {", an inline INFO to Redis: strict
    // detections are asked first.
    .loose_detection = true,
    .detect = redis::detect,
    .make_parser = redis::make_parser,
    .redact = drop_path_when_strict,
    .redaction = {.strict = "key dropped"},
};

}  // namespace loupe
