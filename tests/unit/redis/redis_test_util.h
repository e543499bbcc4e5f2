// Helpers for feeding byte streams to a Redis parser in tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/redis/redis.h"

namespace loupe::redis::testing {

// A server-side parser by default: requests arrive on Ingress, replies leave on Egress.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}
};

// Encodes a command the way redis-cli does: an array of bulk strings.
inline std::string command(std::initializer_list<std::string_view> args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    s += "$" + std::to_string(a.size()) + "\r\n";
    s.append(a);
    s += "\r\n";
  }
  return s;
}

}  // namespace loupe::redis::testing
