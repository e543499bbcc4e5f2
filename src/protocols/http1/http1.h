// HTTP/1.x: detection, the per-connection parser and route templating.
//
// The parser is pure (bytes in, records out) and is what the agent runs on
// every HTTP/1 connection; see docs/protocols/http1.md for the exact framing,
// matching and templating rules.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/http1/route_template.h"
#include "protocols/parser.h"

namespace loupe::http1 {

// Ports that make detection try HTTP/1 first (a hint only).
inline constexpr std::array<uint16_t, 4> kDefaultPorts{80, 8080, 8000, 3000};

// Match when `first_bytes` begin a request (request_start in start_line.h,
// after any empty lines) in the request direction or "HTTP/1." in the
// response direction; NeedMore on a prefix of either; NoMatch otherwise.
// With Role::Unknown either is accepted in either direction.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

// One parser per connection. `role` decides which direction carries requests
// (Role::Unknown is treated like Server: requests on Ingress).
std::unique_ptr<ProtocolParser> make_parser(Role role);

}  // namespace loupe::http1
