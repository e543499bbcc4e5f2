// Helpers for feeding byte streams to a Redis parser in tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/parser.h"
#include "protocols/redis/redis.h"

namespace loupe::redis::testing {

// A server-side parser: requests arrive on Ingress, replies leave on Egress.
struct Conn {
  explicit Conn(Role role = Role::Server) : parser(make_parser(role)), role_(role) {}

  Direction req_dir() const { return request_direction(role_); }
  Direction rep_dir() const {
    return req_dir() == Direction::Ingress ? Direction::Egress : Direction::Ingress;
  }
  void send(Direction d, std::string_view bytes, uint64_t ts, uint64_t length = 0) {
    Segment s;
    s.dir = d;
    s.ts_ns = ts;
    s.bytes = bytes;
    s.length = length ? length : bytes.size();
    parser->feed(s, records);
  }
  void req(std::string_view b, uint64_t ts, uint64_t length = 0) { send(req_dir(), b, ts, length); }
  void rep(std::string_view b, uint64_t ts, uint64_t length = 0) { send(rep_dir(), b, ts, length); }

  std::unique_ptr<ProtocolParser> parser;
  std::vector<Record> records;
  Role role_;
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
