// What a protocol folder's declare.cpp includes to declare its protocols:
// the module type (registry.h), the generated list of modules it defines one
// of, and LOUPE_PROTOCOL.
#pragma once

#include "protocols/declared_modules.h"
#include "protocols/registry.h"

// `LOUPE_PROTOCOL(Amqp, "amqp", 10);`, a line of its own in a folder's
// declare.cpp, declares Protocol::Amqp, with the wire name "amqp" (records,
// the API, the CLI) and the id 10 (stored in databases: never change or
// reuse one). cmake/Protocols.cmake reads these lines to generate the enum
// and the module list; here the line checks the generated files agree, and
// the folder defines the module: `constinit const ProtocolModule
// declared::Amqp{...}`.
#define LOUPE_PROTOCOL(enumerator, wire_name, stored_id)                                          \
  static_assert(static_cast<int>(::loupe::Protocol::enumerator) == (stored_id) &&                 \
                    ::loupe::protocol_ids::name_of(::loupe::Protocol::enumerator) == (wire_name), \
                "generated/include/core/protocol_ids.h is stale: rerun cmake")
