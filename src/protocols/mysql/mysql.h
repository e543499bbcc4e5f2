// MySQL/MariaDB client/server protocol: detection and parser.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"
#include "protocols/sql/statement.h"

namespace loupe::mysql {

inline constexpr std::array<uint16_t, 1> kDefaultPorts{3306};

// Match on a server greeting (protocol 10 handshake, sequence id 0) in the
// response direction, or on a plausible command packet (COM_QUERY,
// COM_STMT_*, COM_PING...) with sequence id 0 in the request direction.
// NeedMore while the prefix is too short to tell.
Detection detect(std::string_view first_bytes, Direction dir, Role role);

std::unique_ptr<ProtocolParser> make_parser(Role role);
std::unique_ptr<ProtocolParser> make_parser(Role role, const sql::SqlOptions& opts);

}  // namespace loupe::mysql
