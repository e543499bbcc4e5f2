// NATS client protocol module: detection and the parser factory. See
// docs/protocols/nats.md for what a record holds.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::nats {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{4222};

// Match: the server's greeting `INFO {` in the reply direction (the server
// speaks first), or a client's `CONNECT {` in the request direction.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::nats
