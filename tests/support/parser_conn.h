// One side of a connection driven through a protocol parser, for every
// protocol's tests: request bytes go in the request direction of the role,
// response bytes the other way, one Segment per call (one syscall).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/parser.h"

namespace loupe::testing {

class ParserConn {
 public:
  ParserConn(std::unique_ptr<ProtocolParser> p, Role r) : role(r), parser(std::move(p)) {}

  Direction req_dir() const { return request_direction(role); }
  Direction resp_dir() const {
    return req_dir() == Direction::Egress ? Direction::Ingress : Direction::Egress;
  }

  // `length` 0 means every byte moved was captured; more than bytes.size()
  // means the tail was not (a gap the parser must skip).
  void send(Direction dir, std::string_view bytes, uint64_t ts, uint64_t length = 0) {
    parser->feed(Segment{dir, ts, bytes, length ? length : bytes.size()}, records);
  }
  void req(std::string_view bytes, uint64_t ts, uint64_t length = 0) {
    send(req_dir(), bytes, ts, length);
  }
  void resp(std::string_view bytes, uint64_t ts, uint64_t length = 0) {
    send(resp_dir(), bytes, ts, length);
  }
  void close(uint64_t ts) { parser->close(ts, records); }
  const ParserStats& stats() const { return parser->stats(); }

  Role role;
  std::unique_ptr<ProtocolParser> parser;
  std::vector<Record> records;  // what the parser emitted, in order
};

}  // namespace loupe::testing
