// Helpers for feeding byte streams to a NATS parser in tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/nats/nats.h"

namespace loupe::nats::testing {

// A server-side parser by default. req() is what the client sends, resp()
// what the server sends, whichever side the parser sits on.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}
};

// "METHOD subject detail" per record (error_code for errors).
inline std::vector<std::string> summary(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs)
    out.push_back(r.method + " " + r.path + " " + (r.error ? r.error_code : r.detail));
  return out;
}

inline constexpr std::string_view kInfo =
    "INFO {\"server_id\":\"NA\",\"version\":\"2.9.10\",\"max_payload\":1048576}\r\n";
inline constexpr std::string_view kConnect =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"u\",\"pass\":\"s3cret\"}\r\n";

}  // namespace loupe::nats::testing
