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

struct DetectResult {
  Detection verdict = Detection::NoMatch;
  Protocol protocol = Protocol::Unknown;  // with Match: the protocol
  // With NeedMore: a protocol that matched while a module asked first (its
  // port matches) still needs bytes; taken if no more bytes ever come.
  Protocol fallback = Protocol::Unknown;
};

// Decides the protocol of a connection from the bytes seen so far in
// direction `dir` (all of them, from the first, however many syscalls they
// took). Modules whose default port is `local_port` or `remote_port` are
// asked first, so a tie between look-alike first bytes goes to the protocol
// the port suggests, and an undecided port module is waited for. Match when
// a module claims the bytes, NeedMore while any module could still claim
// them, NoMatch when none can.
DetectResult detect_protocol(std::string_view first_bytes, Direction dir, Role role,
                             uint16_t local_port, uint16_t remote_port);

}  // namespace loupe
