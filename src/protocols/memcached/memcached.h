// Memcached text protocol (classic and meta commands) module: detection and
// the parser factory. See docs/protocols/memcached.md for what a record holds.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::memcached {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{11211};

// Match: a well-formed first request line of a (lower-case, case-sensitive)
// memcached command ("get k", "set k 0 0 5", "mg k v"...) travelling in the
// request direction; NeedMore while the bytes could still become one.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::memcached
