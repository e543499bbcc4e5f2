// Redis (RESP2/RESP3) protocol module: detection and the parser factory.
// See docs/protocols/redis.md for what a record contains.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::redis {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{6379};

// Match: a RESP array of bulk strings (`*N\r\n$M\r\nNAME...`) or a known
// inline command line travelling in the request direction.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::redis
