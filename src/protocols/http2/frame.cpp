#include "protocols/http2/frame.h"

#include <algorithm>
#include <array>

namespace loupe::http2 {
namespace {

uint32_t be24(std::string_view b) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 8 | static_cast<uint8_t>(b[2]);
}

uint32_t be32(std::string_view b) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24 | be24(b.substr(1));
}

}  // namespace

FrameHeader parse_frame_header(std::string_view b) {
  FrameHeader h;
  h.length = be24(b);
  h.type = static_cast<FrameType>(static_cast<uint8_t>(b[3]));
  h.flags = static_cast<uint8_t>(b[4]);
  h.stream = be32(b.substr(5)) & 0x7fffffffu;
  h.reserved_bit = (static_cast<uint8_t>(b[5]) & 0x80) != 0;
  return h;
}

namespace {

// Flags each known type defines.
uint8_t defined_flags(FrameType t) {
  switch (t) {
    case FrameType::Data:
      return flags::kEndStream | flags::kPadded;
    case FrameType::Headers:
      return flags::kEndStream | flags::kEndHeaders | flags::kPadded | flags::kPriority;
    case FrameType::Settings:
    case FrameType::Ping:
      return 1;  // ACK
    case FrameType::PushPromise:
      return flags::kEndHeaders | flags::kPadded;
    case FrameType::Continuation:
      return flags::kEndHeaders;
    default:
      return 0;
  }
}

}  // namespace

bool well_formed(const FrameHeader& h) {
  if (h.reserved_bit) return false;
  const bool stream0 = h.stream == 0;
  switch (h.type) {
    case FrameType::Data:
    case FrameType::Headers:
    case FrameType::Continuation:
      return !stream0;
    case FrameType::PushPromise:
      return !stream0 && h.length >= 4;
    case FrameType::Priority:
      return !stream0 && h.length == 5;
    case FrameType::RstStream:
      return !stream0 && h.length == 4;
    case FrameType::Settings:
      return stream0 && h.length % 6 == 0;
    case FrameType::Ping:
      return stream0 && h.length == 8;
    case FrameType::Goaway:
      return stream0 && h.length >= 8;
    case FrameType::WindowUpdate:
      return h.length == 4;
  }
  return h.length <= 16384;  // an extension frame (ALTSVC, ORIGIN, ...)
}

bool plausible(const FrameHeader& h) {
  if (static_cast<uint8_t>(h.type) > static_cast<uint8_t>(FrameType::Continuation)) return false;
  if (!well_formed(h) || (h.flags & ~defined_flags(h.type)) != 0) return false;
  // A SETTINGS acknowledgement is empty.
  return h.type != FrameType::Settings || h.flags == 0 || h.length == 0;
}

bool plausible_frames(std::string_view bytes) {
  if (bytes.empty()) return false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < kFrameHeaderSize) return true;  // a header cut short
    const FrameHeader h = parse_frame_header(bytes.substr(pos));
    if (!plausible(h)) return false;
    pos += kFrameHeaderSize + h.length;
  }
  return true;
}

std::string_view header_block_fragment(const FrameHeader& h, std::string_view p,
                                       uint32_t& promised) {
  size_t pad = 0;
  if (h.has(flags::kPadded)) {
    if (p.empty()) return {};
    pad = static_cast<uint8_t>(p[0]);
    p.remove_prefix(1);
  }
  size_t fixed = 0;
  if (h.type == FrameType::Headers && h.has(flags::kPriority)) fixed = 5;
  if (h.type == FrameType::PushPromise) {
    promised = p.size() >= 4 ? be32(p) & 0x7fffffffu : 0;
    fixed = 4;
  }
  p.remove_prefix(std::min(fixed, p.size()));
  return p.substr(0, p.size() >= pad ? p.size() - pad : 0);
}

std::string_view error_code_name(uint32_t code) {
  static constexpr std::array<std::string_view, 14> kNames{"NO_ERROR",
                                                           "PROTOCOL_ERROR",
                                                           "INTERNAL_ERROR",
                                                           "FLOW_CONTROL_ERROR",
                                                           "SETTINGS_TIMEOUT",
                                                           "STREAM_CLOSED",
                                                           "FRAME_SIZE_ERROR",
                                                           "REFUSED_STREAM",
                                                           "CANCEL",
                                                           "COMPRESSION_ERROR",
                                                           "CONNECT_ERROR",
                                                           "ENHANCE_YOUR_CALM",
                                                           "INADEQUATE_SECURITY",
                                                           "HTTP_1_1_REQUIRED"};
  return code < kNames.size() ? kNames[code] : "UNKNOWN";
}

bool FrameReader::feed(std::string_view bytes, Handler& handler) {
  while (!bytes.empty() && !broken_) {
    if (!in_payload_) {
      const size_t want = kFrameHeaderSize - header_.size();
      header_.append(bytes.substr(0, want));
      bytes.remove_prefix(std::min(want, bytes.size()));
      if (header_.size() < kFrameHeaderSize) return true;
      current_ = parse_frame_header(header_);
      header_.clear();
      if (!well_formed(current_)) {
        broken_ = true;
        break;
      }
      in_payload_ = true;
      payload_left_ = current_.length;
      payload_pos_ = 0;
      payload_lost_ = false;
      payload_.clear();
      data_end_ = current_.length;
      if (current_.type == FrameType::Data && current_.has(flags::kPadded)) data_end_ = 0;
      if (payload_left_ == 0) finish_frame(handler);
      continue;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(payload_left_, bytes.size()));
    std::string_view piece = bytes.substr(0, n);
    bytes.remove_prefix(n);
    if (current_.type == FrameType::Data) {
      if (current_.has(flags::kPadded) && payload_pos_ == 0) {
        // The pad length byte: the data ends that many bytes before the frame.
        const uint8_t pad = static_cast<uint8_t>(piece[0]);
        data_end_ = current_.length >= 1u + pad ? current_.length - pad : 1;
        piece.remove_prefix(1);
        ++payload_pos_;
        --payload_left_;
      }
      const uint64_t data_left = data_end_ > payload_pos_ ? data_end_ - payload_pos_ : 0;
      std::string_view data =
          piece.substr(0, static_cast<size_t>(std::min<uint64_t>(data_left, piece.size())));
      payload_pos_ += piece.size();
      payload_left_ -= piece.size();
      if (!data.empty() || payload_left_ == 0)
        handler.on_data(current_, data, 0, payload_left_ == 0);
      if (payload_left_ == 0) in_payload_ = false;
      continue;
    }
    if (payload_.size() < kMaxHeldPayload)
      payload_.append(piece.substr(0, kMaxHeldPayload - payload_.size()));
    if (payload_.size() < payload_pos_ + piece.size()) payload_lost_ = true;
    payload_pos_ += piece.size();
    payload_left_ -= piece.size();
    if (payload_left_ == 0) finish_frame(handler);
  }
  return !broken_;
}

bool FrameReader::skip(uint64_t n, Handler& handler) {
  if (n == 0 || broken_) return !broken_;
  if (!in_payload_ || n > payload_left_) {
    broken_ = true;
    return false;
  }
  payload_left_ -= n;
  if (current_.type == FrameType::Data) {
    // A gap over the pad length byte hides where the data ends: all of it counts.
    if (current_.has(flags::kPadded) && payload_pos_ == 0) data_end_ = current_.length;
    const uint64_t data_left = data_end_ > payload_pos_ ? data_end_ - payload_pos_ : 0;
    payload_pos_ += n;
    handler.on_data(current_, {}, std::min(n, data_left), payload_left_ == 0);
    if (payload_left_ == 0) in_payload_ = false;
    return true;
  }
  payload_lost_ = true;
  payload_pos_ += n;
  if (payload_left_ == 0) finish_frame(handler);
  return true;
}

void FrameReader::finish_frame(Handler& handler) {
  in_payload_ = false;
  if (current_.type == FrameType::Data) {
    handler.on_data(current_, {}, 0, true);
    return;
  }
  handler.on_frame(current_, payload_, !payload_lost_);
  payload_.clear();
}

void FrameReader::resume() {
  broken_ = false;
  header_.clear();
  in_payload_ = false;
  payload_.clear();
}

}  // namespace loupe::http2
