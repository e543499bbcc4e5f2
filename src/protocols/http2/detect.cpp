// Recognising HTTP/2 from a connection's first bytes, or from its middle.
#include <vector>

#include "protocols/http2/frame.h"
#include "protocols/http2/hpack.h"
#include "protocols/http2/http2.h"

namespace loupe::http2 {
namespace {

// Frames to walk before a HEADERS frame must have shown up.
constexpr size_t kMaxFramesBeforeHeaders = 16;
constexpr size_t kMaxBytesBeforeHeaders = 16 * 1024;
// SETTINGS_MAX_FRAME_SIZE's initial value: larger frames need a setting
// that a connection seen from its middle rarely shows right away.
constexpr uint32_t kMaxFrameLength = 16384;

// Whether the first bytes of a frame header, fewer than all 9, can still
// become a plausible one: a length within kMaxFrameLength, a known type.
bool plausible_header_prefix(std::string_view b) {
  if (b.size() >= 1 && b[0] != 0) return false;
  if (b.size() >= 2 && static_cast<uint8_t>(b[1]) > (kMaxFrameLength >> 8)) return false;
  if (b.size() >= 4 && static_cast<uint8_t>(b[3]) > static_cast<uint8_t>(FrameType::Continuation))
    return false;
  return true;
}

// Frames from the middle of a connection: the first field of the first
// HEADERS frame tells a request from a response.
Detection detect_frames(std::string_view b, bool request_side, bool response_side) {
  size_t pos = 0;
  for (size_t frames = 0; frames < kMaxFramesBeforeHeaders; ++frames) {
    if (pos >= kMaxBytesBeforeHeaders) return Detection::NoMatch;
    if (b.size() - pos < kFrameHeaderSize)
      return plausible_header_prefix(b.substr(pos)) ? Detection::NeedMore : Detection::NoMatch;
    const FrameHeader h = parse_frame_header(b.substr(pos));
    if (!plausible(h) || h.length > kMaxFrameLength) return Detection::NoMatch;
    pos += kFrameHeaderSize;
    if (h.type != FrameType::Headers) {
      pos += h.length;
      if (pos > b.size()) return Detection::NeedMore;
      continue;
    }
    if (b.size() - pos < h.length) return Detection::NeedMore;
    uint32_t promised = 0;
    std::string_view block = header_block_fragment(h, b.substr(pos, h.length), promised);
    // A joined-late decoder never guesses a dynamic-table entry; the first
    // known pseudo-header tells a request (:method, :path, ...) from a
    // response (:status).
    HpackDecoder decoder(false);
    std::vector<HeaderField> fields;
    (void)decoder.decode(block, fields);
    for (const HeaderField& f : fields) {
      if (!f.known || !f.name.starts_with(':')) continue;
      const bool response = f.name == ":status";
      return (response ? response_side : request_side) ? Detection::Match : Detection::NoMatch;
    }
    return Detection::NoMatch;
  }
  return Detection::NoMatch;
}

}  // namespace

Detection detect(std::string_view b, Direction dir, Role role) {
  const bool request_side = role == Role::Unknown || dir == request_direction(role);
  const bool response_side = role == Role::Unknown || !request_side;
  if (request_side) {
    const size_t n = std::min(b.size(), kClientPreface.size());
    if (b.substr(0, n) == kClientPreface.substr(0, n))
      return n == kClientPreface.size() ? Detection::Match : Detection::NeedMore;
  }
  return detect_frames(b, request_side, response_side);
}

}  // namespace loupe::http2
