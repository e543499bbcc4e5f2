#include "protocols/mysql/mysql.h"
#include "protocols/mysql/packets.h"
#include "protocols/sql/wire.h"

namespace loupe::mysql {
namespace {

// The server speaks first: protocol version 10, then "8.0.36" or
// "5.5.5-10.11.6-MariaDB", NUL-terminated.
Detection detect_greeting(std::string_view b) {
  if (b.size() < 6) return Detection::NeedMore;
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  const uint32_t len = sql::le24(p);
  if (p[3] != 0 || p[4] != 10 || len < 20 || len > 1024) return Detection::NoMatch;
  if (p[5] < '0' || p[5] > '9') return Detection::NoMatch;
  std::size_t nul = b.find('\0', 5);
  std::string_view version = b.substr(5, nul == std::string_view::npos ? 64 : nul - 5);
  if (version.size() > 64 || !sql::looks_like_text(version)) return Detection::NoMatch;
  return Detection::Match;
}

Detection text_command(std::string_view text, uint32_t len) {
  if (len < 2) return Detection::NoMatch;
  // MySQL 8 query attributes prefix a COM_QUERY with two count bytes.
  if (text.size() >= 2 && text[0] == 0 && text[1] == 1) text.remove_prefix(2);
  if (text.empty()) return Detection::NeedMore;
  return sql::looks_like_text(text.substr(0, 256)) ? Detection::Match : Detection::NoMatch;
}

Detection detect_command(std::string_view b) {
  if (b.size() < 5) return Detection::NeedMore;
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  const uint32_t len = sql::le24(p);
  if (p[3] != 0 || len == 0 || len >= kMaxPayload) return Detection::NoMatch;
  std::string_view body = b.substr(5, len - 1);
  switch (p[4]) {
    case kComQuery:
    case kComStmtPrepare:
    case kComInitDb:
      return text_command(body, len);
    case kComStmtExecute:  // id 4, flags 1, iteration count 4 (always 1)
      if (len < 10) return Detection::NoMatch;
      if (b.size() < 14) return Detection::NeedMore;
      return sql::le32(p + 10) == 1 && p[9] <= 0x0F ? Detection::Match : Detection::NoMatch;
    case kComStmtClose:
    case kComStmtReset:
      return len == 5 ? Detection::Match : Detection::NoMatch;
    case kComPing:
    case kComQuit:
      return len == 1 ? Detection::Match : Detection::NoMatch;
    default:
      return Detection::NoMatch;
  }
}

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  const bool maybe_request = role == Role::Unknown || dir == request_direction(role);
  const bool maybe_response = role == Role::Unknown || dir != request_direction(role);
  Detection best = Detection::NoMatch;
  if (maybe_response) {
    const Detection d = detect_greeting(first_bytes);
    if (d == Detection::Match) return d;
    if (d == Detection::NeedMore) best = d;
  }
  if (maybe_request) {
    const Detection d = detect_command(first_bytes);
    if (d == Detection::Match) return d;
    if (d == Detection::NeedMore) best = d;
  }
  return best;
}

}  // namespace loupe::mysql
