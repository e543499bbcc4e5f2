// PostgreSQL frontend/backend protocol 3.x: detection and parser.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"
#include "protocols/sql/statement.h"

namespace loupe::postgres {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{5432};

// Match on a StartupMessage, SSLRequest, GSSENCRequest or CancelRequest, or
// (connection seen mid-stream) a plausible Q/P/B/E/S/X frontend message, in
// the request direction; on an Authentication ('R') message in the response
// direction. NeedMore while the prefix is too short to tell.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);
std::unique_ptr<ProtocolParser> make_parser(Role role, const sql::SqlOptions& opts);

}  // namespace loupe::postgres
