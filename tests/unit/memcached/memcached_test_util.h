// Helpers for feeding byte streams to a memcached parser in tests.
#pragma once

#include <string>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/memcached/memcached.h"

namespace loupe::memcached::testing {

// A server-side parser by default: requests arrive on Ingress, replies leave on Egress.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}
};

// "METHOD key detail" per record (error_code for errors), to compare whole
// conversations at once.
inline std::vector<std::string> summary(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs)
    out.push_back(r.method + " " + r.path + " " + (r.error ? r.error_code : r.detail));
  return out;
}

}  // namespace loupe::memcached::testing
