// HTTP/2 framing (RFC 9113 section 4 and 6): frame headers, what a
// plausible frame looks like, and the reader that reassembles one
// direction's frames across reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loupe::http2 {

inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr size_t kFrameHeaderSize = 9;

enum class FrameType : uint8_t {
  Data = 0,
  Headers = 1,
  Priority = 2,
  RstStream = 3,
  Settings = 4,
  PushPromise = 5,
  Ping = 6,
  Goaway = 7,
  WindowUpdate = 8,
  Continuation = 9,
};

namespace flags {
inline constexpr uint8_t kEndStream = 0x1;
inline constexpr uint8_t kEndHeaders = 0x4;
inline constexpr uint8_t kPadded = 0x8;
inline constexpr uint8_t kPriority = 0x20;
}  // namespace flags

struct FrameHeader {
  uint32_t length = 0;
  FrameType type = FrameType::Data;
  uint8_t flags = 0;
  uint32_t stream = 0;
  bool reserved_bit = false;  // the stream id's high bit, always 0 from a peer
  bool has(uint8_t f) const { return (flags & f) != 0; }
};

// The 9 bytes at `b` (at least kFrameHeaderSize of them).
FrameHeader parse_frame_header(std::string_view b);

// True when `h` is a frame a peer would send: a known type on the right kind
// of stream (0 or not), with only that type's flags and a length the type
// allows. Used to recognise HTTP/2 where the stream's start was not seen.
bool plausible(const FrameHeader& h);

// True when `h` can be read as a frame at all: a known type laid out as
// RFC 9113 says (flags aside: receivers ignore unknown ones), or an
// extension type of a modest length. A header that is not means the
// framing was lost.
bool well_formed(const FrameHeader& h);

// True when `bytes` start with plausible frames whose lengths chain up to
// the end of `bytes` or past it (the last one cut short).
bool plausible_frames(std::string_view bytes);

// The header block fragment inside a HEADERS or PUSH_PROMISE payload:
// without pad length, priority fields, promised stream id (stored in
// `promised`) and padding.
std::string_view header_block_fragment(const FrameHeader& h, std::string_view payload,
                                       uint32_t& promised);

// RFC 9113 7: the name of an error code (RST_STREAM, GOAWAY), "UNKNOWN"
// beyond the defined ones.
std::string_view error_code_name(uint32_t code);

// One direction's frames, from bytes that arrive in pieces. DATA payloads
// are passed through as they come (never held), without their padding;
// other payloads are held up to a bound and delivered whole.
class FrameReader {
 public:
  // Payload bytes of one non-DATA frame held at most; beyond, the frame is
  // delivered with `complete` false (its payload cut at the bound).
  static constexpr size_t kMaxHeldPayload = 64 * 1024;

  struct Handler {
    virtual ~Handler() = default;
    // A non-DATA frame; `complete` is false when payload bytes were lost
    // (a capture gap) or beyond kMaxHeldPayload.
    virtual void on_frame(const FrameHeader& h, std::string_view payload, bool complete) = 0;
    // DATA payload bytes, in order: `bytes` is empty for `lost` bytes of a
    // capture gap; `end` on the frame's last piece.
    virtual void on_data(const FrameHeader& h, std::string_view bytes, uint64_t lost, bool end) = 0;
  };

  // Consumes `bytes`; false when they are not HTTP/2 framing (the reader is
  // then broken until resume()).
  bool feed(std::string_view bytes, Handler& handler);
  // `n` bytes were moved but not captured. False when the gap leaves the
  // current frame: where the next frame starts is unknown (broken).
  bool skip(uint64_t n, Handler& handler);

  bool broken() const { return broken_; }
  // Starts again at a frame boundary (after a break, at a segment start).
  void resume();
  // Between frames: no frame is partly read.
  bool idle() const { return header_.empty() && !in_payload_; }
  size_t memory_bytes() const { return payload_.capacity(); }

 private:
  void finish_frame(Handler& handler);

  std::string header_;  // the bytes of a frame header read so far
  FrameHeader current_;
  bool in_payload_ = false;
  uint64_t payload_left_ = 0;
  uint64_t payload_pos_ = 0;  // payload bytes of the current frame consumed
  uint64_t data_end_ = 0;     // DATA: where the padding starts
  std::string payload_;       // held payload of a non-DATA frame
  bool payload_lost_ = false;
  bool broken_ = false;
};

}  // namespace loupe::http2
