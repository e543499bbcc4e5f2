#include "protocols/sql/wire_parser.h"

#include <algorithm>

namespace loupe::sql {
namespace {

Direction opposite(Direction d) {
  return d == Direction::Egress ? Direction::Ingress : Direction::Egress;
}

}  // namespace

void WireParser::feed(const Segment& seg, std::vector<Record>& out) {
  if (finished_) return;
  if (role_ == Role::Unknown && !req_dir_known_ && !seg.bytes.empty()) {
    req_dir_ = starts_with_request(seg) ? seg.dir : opposite(seg.dir);
    req_dir_known_ = true;
  }
  const Direction req_dir = role_ == Role::Unknown ? req_dir_ : request_direction(role_);
  const uint64_t wire_len = std::max<uint64_t>(seg.length, seg.bytes.size());
  if (seg.dir == req_dir) {
    // After an accepted SSL request only a TLS handshake can follow on the
    // socket, unless the caller hands us the plaintext (TLS hooks).
    if (await_tls_ && !requests().mid_message() && !seg.bytes.empty()) {
      await_tls_ = false;
      if (seg.bytes[0] == 0x16) {
        finished_ = true;
        return;
      }
    }
    out_ = &out;
    requests().feed(seg.bytes, wire_len, seg.ts_ns);
  } else {
    if (!replies().mid_message() && unexpected_reply(seg)) {
      ++stats_.unmatched;
      return;
    }
    last_resp_ns_ = seg.ts_ns;
    out_ = &out;
    replies().feed(seg.bytes, wire_len, seg.ts_ns);
  }
  out_ = nullptr;
}

void WireParser::close(uint64_t /*ts_ns*/, std::vector<Record>& out) {
  out_ = &out;
  on_close();
  out_ = nullptr;
}

}  // namespace loupe::sql
