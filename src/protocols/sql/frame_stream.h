// Splits one direction of a connection into length-prefixed messages.
//
// PostgreSQL and MySQL both frame every message with a small header that
// carries its length, so the hard parts are common: messages split across
// segments, captured prefixes shorter than the syscall (an uncaptured tail
// must be skipped by length), and resynchronising after a gap that swallowed
// a message boundary. The protocol supplies the header rules (FrameCodec)
// and receives whole messages (FrameHandler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/heap_bytes.h"
#include "protocols/parser.h"

namespace loupe::sql {

// One message. `bytes` is its captured prefix, header included, at most
// FrameStream::kMaxKeep bytes; `wire_len` is its real length.
struct Frame {
  std::string_view bytes;
  uint64_t wire_len = 0;
  uint64_t start_ns = 0;  // ts of the segment holding the first byte
  uint64_t end_ns = 0;    // ts of the segment holding the last byte
  bool complete() const { return bytes.size() == wire_len; }
};

class FrameCodec {
 public:
  virtual ~FrameCodec() = default;
  // Header bytes needed to know the message length (may depend on state).
  virtual std::size_t header_size() const = 0;
  // Whole-message wire length from a header, or 0 when the header is not
  // plausible in the current state.
  virtual uint64_t message_length(const uint8_t* header) const = 0;
  // For resync only: header size and length rules used when the state is
  // unknown, and whether `next` may follow `prev` (e.g. MySQL sequence ids).
  virtual std::size_t resync_header_size() const { return header_size(); }
  virtual uint64_t resync_length(const uint8_t* header) const { return message_length(header); }
  virtual bool may_follow(const uint8_t* /*prev*/, const uint8_t* /*next*/) const { return true; }
};

class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  virtual void on_frame(const Frame& f) = 0;
  // Framing was lost and found again; `lost_bytes` wire bytes were skipped
  // (whole messages only: a message cut by the gap is delivered first).
  virtual void on_resync(uint64_t /*lost_bytes*/) {}
};

class FrameStream {
 public:
  // Longest message prefix kept; statement text and error fields fit, and
  // memory stays bounded whatever lengths the peer claims.
  static constexpr std::size_t kMaxKeep = 32 * 1024;
  // Messages a resync candidate must chain through before it is trusted,
  // and the cap on that walk (keeps resync linear in the segment size).
  static constexpr int kMaxChain = 32;

  FrameStream(const FrameCodec& codec, FrameHandler& handler, ParserStats& stats)
      : codec_(codec), handler_(handler), stats_(stats) {}

  // `bytes` is the captured prefix of `wire_len` bytes moved at `ts_ns`.
  void feed(std::string_view bytes, uint64_t wire_len, uint64_t ts_ns);

  // True while a message is partly received.
  bool mid_message() const { return in_msg_; }
  bool synced() const { return synced_; }
  // Wire bytes skipped since framing was lost, not yet reported by on_resync.
  uint64_t lost_bytes() const { return lost_; }
  // The buffer of the message being reassembled (at most kMaxKeep).
  std::size_t memory_bytes() const { return heap_bytes(buf_); }
  // The caller knows this direction is between messages (its peer spoke
  // only after the reply ended): the next bytes start a message. Bytes lost
  // so far are dropped, not reported.
  void restart() {
    synced_ = true;
    lost_ = 0;
    in_msg_ = false;
  }

 private:
  void skip_gap(uint64_t gap, uint64_t ts_ns);
  void emit(uint64_t ts_ns);
  bool find_resync(std::string_view bytes, std::size_t from, uint64_t wire_len,
                   std::size_t* at) const;
  bool chain_ok(std::string_view bytes, std::size_t p, uint64_t wire_len) const;

  const FrameCodec& codec_;
  FrameHandler& handler_;
  ParserStats& stats_;

  bool synced_ = true;
  uint64_t lost_ = 0;  // wire bytes skipped while unsynced

  bool in_msg_ = false;
  bool buf_closed_ = false;  // a gap was skipped: buf_ is the whole prefix
  std::string buf_;          // captured prefix of the current message
  uint64_t msg_len_ = 0;     // 0 while the header is incomplete
  uint64_t consumed_ = 0;    // wire bytes of the current message seen so far
  uint64_t msg_start_ns_ = 0;
};

}  // namespace loupe::sql
