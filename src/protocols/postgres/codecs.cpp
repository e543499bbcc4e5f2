// Header rules for both directions of a PostgreSQL connection.
#include "protocols/postgres/codes.h"
#include "protocols/postgres/parser.h"
#include "protocols/sql/wire.h"

namespace loupe::postgres {
namespace {

// Length rules per type: fixed-size messages must have their exact length,
// which is what makes a resync candidate trustworthy.
uint64_t typed_length(const uint8_t* h, std::string_view types) {
  const char type = static_cast<char>(h[0]);
  if (type == 0 || types.find(type) == std::string_view::npos) return 0;
  const uint32_t len = sql::be32(h + 1);
  if (len < 4 || len > kMaxMessageLen) return 0;
  switch (type) {
    case 'Z':
      if (len != 5) return 0;
      break;
    case 'K':
      if (len < 12 || len > 264) return 0;
      break;
    case 'R':
      if (len < 8) return 0;
      break;
    case 'D':
    case 'T':
      if (len < 6) return 0;
      break;
    case 'C':
      if (len < 5 || len > 4096) return 0;
      break;
    default:
      break;
  }
  return uint64_t{len} + 1;
}

constexpr std::string_view kFrontend = "QPBEDCSHXFdcfp";
constexpr std::string_view kBackend = "RSKZTDCEINA123ntsGHWdcVv";
// Messages a server sends with no body at all.
constexpr std::string_view kBackendEmpty = "123nIsc";
constexpr std::string_view kFrontendEmpty = "SHXc";

uint64_t exact_empty(const uint8_t* h, uint64_t len, std::string_view empty_types) {
  if (len == 0) return 0;
  const bool must_be_empty = empty_types.find(static_cast<char>(h[0])) != std::string_view::npos;
  if (must_be_empty && len != 5) return 0;
  return len;
}

}  // namespace

uint64_t Parser::RequestCodec::message_length(const uint8_t* h) const {
  if (h[0] == 0) {  // startup-phase message: int32 length, no type byte
    const uint32_t len = sql::be32(h);
    return len >= 8 && len <= kMaxStartupLen ? len : 0;
  }
  return exact_empty(h, typed_length(h, kFrontend), kFrontendEmpty);
}

uint64_t Parser::RequestCodec::resync_length(const uint8_t* h) const {
  if (h[0] == 0) return 0;  // untyped messages occur only at connection start
  return message_length(h);
}

uint64_t Parser::ResponseCodec::message_length(const uint8_t* h) const {
  if (answer_pending_) return h[0] == 'S' || h[0] == 'N' || h[0] == 'G' ? 1 : 0;
  return exact_empty(h, typed_length(h, kBackend), kBackendEmpty);
}

uint64_t Parser::ResponseCodec::resync_length(const uint8_t* h) const {
  return exact_empty(h, typed_length(h, kBackend), kBackendEmpty);
}

}  // namespace loupe::postgres
