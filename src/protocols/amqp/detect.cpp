// Recognising an AMQP 0-9-1 connection from its first bytes: the client's
// protocol header, or for a capture that joined an open connection, one
// whole frame that only AMQP would send.
#include "protocols/amqp/amqp.h"
#include "protocols/amqp/method.h"

namespace loupe::amqp {
namespace {

// A first method frame must fit the detector's window to be judged whole;
// deliveries, declarations and the handshake's frames are far smaller.
constexpr size_t kMaxDetectedFrame = 4096;

bool may_send(Sender sender, bool client_side, bool server_side) {
  return sender == Sender::Both || (sender == Sender::Client ? client_side : server_side);
}

}  // namespace

Detection detect(std::string_view b, Direction dir, Role role) {
  if (b.empty()) return Detection::NeedMore;
  const bool client_side = role == Role::Unknown || dir == request_direction(role);
  const bool server_side = role == Role::Unknown || dir != request_direction(role);
  if (b[0] == kProtocolHeader[0]) {
    if (!client_side) return Detection::NoMatch;
    if (b.size() < kProtocolHeader.size())
      return kProtocolHeader.starts_with(b) ? Detection::NeedMore : Detection::NoMatch;
    return b.starts_with(kProtocolHeader) ? Detection::Match : Detection::NoMatch;
  }
  // Mid-connection: content header and body frames carry arbitrary bytes,
  // so only a method frame or a heartbeat is taken as proof.
  const auto type = static_cast<uint8_t>(b[0]);
  if (type != kFrameMethod && type != kFrameHeartbeat) return Detection::NoMatch;
  if (b.size() < kFrameHeaderSize) return Detection::NeedMore;
  FrameHeader h = read_frame_header(b);
  if (!plausible(h) || h.size + kFrameHeaderSize + 1 > kMaxDetectedFrame) return Detection::NoMatch;
  std::string_view payload = b.substr(kFrameHeaderSize, h.size);
  if (type == kFrameMethod && payload.size() >= 4) {
    auto m = decode_method(payload.substr(0, 4));
    if (!m || !may_send(m->spec->sender, client_side, server_side)) return Detection::NoMatch;
  }
  if (b.size() < kFrameHeaderSize + h.size + 1) return Detection::NeedMore;
  if (static_cast<uint8_t>(b[kFrameHeaderSize + h.size]) != kFrameEnd) return Detection::NoMatch;
  if (type == kFrameMethod && !decode_method(payload)->complete) return Detection::NoMatch;
  return Detection::Match;
}

}  // namespace loupe::amqp
