// AMQP 0-9-1 (RabbitMQ) module: detection and the parser factory. See
// docs/protocols/amqp.md for what a record holds.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::amqp {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{5672};

// Match: the client's protocol header `AMQP\0\0\x09\x01` in the request
// direction, or (a capture that joined an open connection) a whole method
// frame of a known method from the side that may send it, ended by the
// frame-end octet 0xCE, or a heartbeat frame. NeedMore while the bytes could
// still become one of these.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::amqp
