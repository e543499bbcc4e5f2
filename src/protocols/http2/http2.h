// HTTP/2 protocol module (h2c and h2 over TLS alike): detection and the
// parser factory. See docs/protocols/http2.md for what a record contains.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe::http2 {

// gRPC's customary port; HTTP/2 has none of its own (a hint only).
inline constexpr std::array<uint16_t, 1> kDefaultPorts{50051};

// Match: the client connection preface in the request direction; or, for a
// connection seen from its middle, whole plausible frames leading to a
// HEADERS frame whose first known pseudo-header is a request's (request
// direction) or :status (response direction). NeedMore on a prefix of either.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);

// After HTTP/1.1 `Upgrade: h2c` was answered 101: the connection goes on in
// HTTP/2 from its preface, and stream 1 carries the response to the
// upgraded request (RFC 9113 3.2 of RFC 7540, kept by RFC 9113 as legacy).
std::unique_ptr<ProtocolParser> make_switched_parser(const ProtocolSwitch& from);

}  // namespace loupe::http2
