// Decoding of the few PostgreSQL message bodies the parser reads fields from.
#pragma once

#include <string>
#include <string_view>

namespace loupe::postgres {

struct ErrorFields {
  std::string sqlstate;  // 'C'
  std::string message;   // "<severity>: <message>", e.g. "ERROR: relation \"x\" does not exist"
};

// `body` is an ErrorResponse/NoticeResponse body (after type and length).
ErrorFields parse_error(std::string_view body);

// The database a StartupMessage body (after length and code) asks for:
// "database", defaulting to "user" as the server does.
std::string startup_database(std::string_view params);

}  // namespace loupe::postgres
