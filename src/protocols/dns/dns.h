// DNS protocol module (UDP datagrams and TCP length-prefixed messages):
// detection and the parser factory. See docs/protocols/dns.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::dns {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{53};

// Match: the first segment is one plausible DNS message (UDP) or a 2-byte
// length prefix followed by one (TCP).
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::dns
