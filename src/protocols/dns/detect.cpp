// Recognising DNS from the first bytes of a connection or socket.
#include "protocols/dns/dns.h"
#include "protocols/dns/message.h"

namespace loupe::dns {
namespace {

// The start of a message still arriving (TCP, split anywhere): what is
// there must fit a plausible message. NeedMore when it does.
Detection plausible_prefix(std::string_view m, int want_qr) {
  if (m.size() >= 4) {
    uint16_t flags = read_u16(m, 2);
    if (((flags >> 11) & 0xF) != 0) return Detection::NoMatch;
    if (want_qr >= 0 && ((flags & 0x8000) != 0) != (want_qr == 1)) return Detection::NoMatch;
  }
  if (m.size() >= 6 && (read_u16(m, 4) < 1 || read_u16(m, 4) > 4)) return Detection::NoMatch;
  if (m.size() < kHeaderSize) return Detection::NeedMore;
  // The question name so far: labels of at most 63 visible characters.
  for (size_t pos = kHeaderSize; pos < m.size();) {
    auto len = static_cast<uint8_t>(m[pos]);
    if (len == 0) break;  // the name is whole; plausible_message judges the rest
    if (len > 63) return Detection::NoMatch;
    for (size_t i = pos + 1; i <= pos + len && i < m.size(); ++i)
      if (m[i] <= ' ' || m[i] >= 0x7f) return Detection::NoMatch;
    pos += len + 1;
  }
  return Detection::NeedMore;
}

}  // namespace

Detection detect(std::string_view b, Direction dir, Role role) {
  // Which QR bit the bytes must carry: queries travel the request way.
  int want_qr = -1;
  if (role != Role::Unknown) want_qr = dir == request_direction(role) ? 0 : 1;

  // UDP: the segment is one whole datagram.
  if (plausible_message(b, want_qr)) return Detection::Match;
  if (b.size() < 2) return Detection::NeedMore;
  // TCP: a length prefix, then the message (possibly still arriving).
  size_t announced = read_u16(b, 0);
  std::string_view rest = b.substr(2);
  if (announced < kHeaderSize + 5) return Detection::NoMatch;
  // Several messages may share the first write: judge the first one.
  if (plausible_message(rest.substr(0, announced), want_qr)) return Detection::Match;
  if (rest.size() >= announced) return Detection::NoMatch;
  // Not all of the message yet (its question may still be arriving, one
  // byte per syscall even): check what is there.
  return plausible_prefix(rest, want_qr);
}

}  // namespace loupe::dns
