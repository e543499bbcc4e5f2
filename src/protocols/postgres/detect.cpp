#include "protocols/postgres/codes.h"
#include "protocols/postgres/postgres.h"
#include "protocols/sql/wire.h"

namespace loupe::postgres {
namespace {

using sql::be32;

// Startup-phase messages: int32 length, int32 code, no type byte.
Detection detect_untyped(std::string_view b) {
  if (b.size() < 8) return Detection::NeedMore;
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  const uint32_t len = be32(p);
  const uint32_t code = be32(p + 4);
  if (code == kSslRequest || code == kGssEncRequest)
    return len == 8 ? Detection::Match : Detection::NoMatch;
  if (code == kCancelRequest)
    return len >= 16 && len <= 264 ? Detection::Match : Detection::NoMatch;
  if (!is_startup_code(code) || len < 9 || len > kMaxStartupLen) return Detection::NoMatch;
  if (b.size() == 8) return Detection::NeedMore;
  // Parameters are lower-case names ("user", "database"...).
  const unsigned char c = p[8];
  return (c >= 'a' && c <= 'z') || c == '_' || c == 0 ? Detection::Match : Detection::NoMatch;
}

// A frontend message of a connection already past startup.
Detection detect_typed(std::string_view b) {
  const char type = b[0];
  if (type != 'Q' && type != 'P' && type != 'B' && type != 'E' && type != 'S' && type != 'X')
    return Detection::NoMatch;
  if (b.size() < 5) return Detection::NeedMore;
  const uint32_t len = be32(reinterpret_cast<const uint8_t*>(b.data()) + 1);
  if (len < 4 || len > kMaxMessageLen) return Detection::NoMatch;
  std::string_view body = b.substr(5, len - 4);  // captured part of the body
  switch (type) {
    case 'S':
    case 'X':
      if (len != 4) return Detection::NoMatch;
      break;
    case 'Q': {
      if (len < 6) return Detection::NoMatch;
      if (body.empty()) return Detection::NeedMore;
      std::string_view text = body.substr(0, len - 5);  // without the NUL
      if (text.empty() || !sql::looks_like_text(text.substr(0, 256))) return Detection::NoMatch;
      if (body.size() == len - 4 && body.back() != '\0') return Detection::NoMatch;
      break;
    }
    case 'P': {
      if (len < 8) return Detection::NoMatch;
      std::size_t pos = 0;
      std::string_view name = sql::read_cstr(body, pos);
      std::string_view text = sql::read_cstr(body, pos);
      if (!sql::looks_like_text(name.substr(0, 64)) || !sql::looks_like_text(text.substr(0, 256)))
        return Detection::NoMatch;
      if (body.size() < 2) return Detection::NeedMore;
      break;
    }
    case 'B':
      if (len < 12) return Detection::NoMatch;
      if (body.empty()) return Detection::NeedMore;
      if (!sql::looks_like_text(body.substr(0, body.find('\0')).substr(0, 64)))
        return Detection::NoMatch;
      break;
    case 'E':
      if (len < 9) return Detection::NoMatch;
      break;
  }
  // When the whole first message is captured, what follows must start
  // another frontend message.
  if (b.size() > len + 1) {
    static constexpr std::string_view kFrontend = "QPBEDCSHXFdcfp";
    if (kFrontend.find(b[len + 1]) == std::string_view::npos) return Detection::NoMatch;
  }
  return Detection::Match;
}

Detection detect_request(std::string_view b) {
  if (b.empty()) return Detection::NeedMore;
  return b[0] == 0 ? detect_untyped(b) : detect_typed(b);
}

// AuthenticationXXX, the server's first message after a StartupMessage.
Detection detect_response(std::string_view b) {
  if (b.empty()) return Detection::NeedMore;
  if (b[0] != 'R') return Detection::NoMatch;
  if (b.size() < 9) return Detection::NeedMore;
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  const uint32_t len = be32(p + 1);
  const uint32_t code = be32(p + 5);
  if (len < 8 || len > 2048) return Detection::NoMatch;
  switch (code) {
    case 0:
    case 2:
    case 3:
    case 5:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
      return Detection::Match;
    default:
      return Detection::NoMatch;
  }
}

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  const bool maybe_request = role == Role::Unknown || dir == request_direction(role);
  const bool maybe_response = role == Role::Unknown || dir != request_direction(role);
  Detection best = Detection::NoMatch;
  for (int i = 0; i < 2; ++i) {
    if (i == 0 && !maybe_request) continue;
    if (i == 1 && !maybe_response) continue;
    const Detection d = i == 0 ? detect_request(first_bytes) : detect_response(first_bytes);
    if (d == Detection::Match) return d;
    if (d == Detection::NeedMore) best = d;
  }
  return best;
}

}  // namespace loupe::postgres
