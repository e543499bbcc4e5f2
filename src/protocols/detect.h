// Protocol detection from the first bytes of a connection.
//
// Ports are only a hint: a database on a non-standard port is still
// recognised from its bytes, and a web server on port 5432 is still HTTP.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/record.h"
#include "protocols/parser.h"

namespace loupe {

enum class Detection : uint8_t {
  Match,     // the bytes are this protocol
  NeedMore,  // not enough bytes to decide yet
  NoMatch,   // definitely not this protocol
};

// Decides the protocol of a connection from the first captured bytes seen in
// direction `dir`. `remote_port`/`local_port` are hints used only to break
// ties between protocols whose first bytes look alike (e.g. a MySQL server
// greeting vs. an unknown binary protocol). Returns Protocol::Unknown when no
// parser claims the bytes.
Protocol detect_protocol(std::string_view first_bytes, Direction dir, Role role,
                         uint16_t local_port, uint16_t remote_port);

}  // namespace loupe
