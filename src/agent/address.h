#pragma once

#include <string>

#include "socket_trace.h"

namespace loupe {

// "10.0.0.1:80", "[2001:db8::1]:443"; IPv4-mapped IPv6 prints as IPv4 so a
// dual-stack listener and its IPv4 clients name the same address.
// Empty when the family is unknown.
std::string format_address(const loupe_addr& a);

}  // namespace loupe
