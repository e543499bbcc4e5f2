// One direction of an HTTP/1 connection: splits the byte stream into
// messages (head + body), skipping uncaptured gaps and resynchronising after
// malformed or lost bytes. It knows nothing about matching requests to
// responses; it reports heads and message ends to a MessageSink, which
// decides how each body is framed (a response's framing depends on its
// request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/heap_bytes.h"
#include "protocols/http1/head.h"
#include "protocols/parser.h"

namespace loupe::http1 {

enum class Framing : uint8_t {
  None,        // no body
  Length,      // Content-Length bytes
  Chunked,     // chunked transfer coding
  UntilClose,  // response body delimited by connection close
  Tunnel,      // the connection stops being HTTP/1 after this head
};

struct BodyPlan {
  Framing framing = Framing::None;
  uint64_t length = 0;      // for Framing::Length
  bool hold_after = false;  // ignore this direction after the message until resume()
};

class MessageSink {
 public:
  // A head was parsed. `start_ns` is the timestamp of the message's first byte.
  virtual BodyPlan on_head(bool request, const Head& head, uint64_t start_ns) = 0;
  // The message ended. `complete` is false when its framing was lost (an
  // uncaptured gap or a malformed chunk) and it ends where the loss happened.
  // `end_ns` is the timestamp of the segment carrying its last seen byte;
  // `wire_bytes` counts head and body, uncaptured bytes included.
  virtual void on_end(bool request, uint64_t end_ns, uint64_t wire_bytes, bool complete) = 0;
  // True when the next response answers an HTTP/0.9 request, so bytes that
  // are not a status line are its body (then on_head gets a Head with
  // status 0).
  virtual bool simple_response_next() const = 0;
  // Bytes read after the message switched the connection to another
  // protocol (a 101 or a CONNECT tunnel), which HTTP/1 does not parse.
  virtual void on_tunnelled(bool /*request*/, std::string_view /*bytes*/) {}

 protected:
  ~MessageSink() = default;
};

class MessageReader {
 public:
  // Bounds on buffered bytes, so memory stays bounded on any input.
  static constexpr size_t kMaxHead = 64 * 1024;
  static constexpr size_t kMaxChunkLine = 4 * 1024;
  static constexpr size_t kMaxTrailers = 64 * 1024;
  static constexpr size_t kSeekKeep = 8 * 1024;

  MessageReader(bool request, MessageSink& sink, ParserStats& stats);

  // `bytes` were captured; `gap` more bytes followed on the wire uncaptured.
  void feed(std::string_view bytes, uint64_t gap, uint64_t ts_ns);

  // The connection closed: ends a close-delimited body. Any other partial
  // message is abandoned. The reader is reset for reuse.
  void close();

  // Leaves the Hold state entered after a message planned with hold_after.
  void resume();

  // Between messages, nothing buffered: a new reader would go on the same.
  bool at_rest() const { return state_ == State::Start && head_.empty() && !resync_; }
  // At rest: the head buffer a split head grew given back.
  void restart() {
    if (head_.capacity() > std::string().capacity()) head_ = std::string();
  }

  // Bytes of the message in progress so far (0 between messages).
  uint64_t message_bytes() const { return msg_bytes_; }
  // Heap bytes of the buffers kept across segments (a head being
  // reassembled, resynchronisation), each capped above.
  size_t memory_bytes() const {
    return heap_bytes(head_) +
           (resync_ ? sizeof(Resync) + heap_bytes(resync_->seek_buf) + heap_bytes(resync_->replay)
                    : 0);
  }

 private:
  enum class State : uint8_t {
    Start,        // between messages; validating the first bytes of the next one
    Head,         // buffering the head
    LengthBody,   // Content-Length body
    ChunkSize,    // hex digits of a chunk-size line
    ChunkExt,     // rest of a chunk-size line (extensions)
    ChunkSizeLf,  // LF ending a chunk-size line
    ChunkData,    // chunk payload
    ChunkDataCr,  // CRLF after chunk payload
    ChunkDataLf,
    Trailers,    // trailer fields up to the empty line
    UntilClose,  // close-delimited body
    Seek,        // resynchronising: discarding bytes until a message start
    Hold,        // ignoring bytes until resume()
    Ignore,      // tunnelled: not HTTP/1 any more
  };

  size_t step(std::string_view data, uint64_t ts);
  size_t step_start(std::string_view data, uint64_t ts);
  size_t step_head(std::string_view data, uint64_t ts);
  size_t step_body(std::string_view data, uint64_t ts);
  size_t step_chunk_line(std::string_view data, uint64_t ts);
  size_t step_trailers(std::string_view data, uint64_t ts);
  size_t seek(std::string_view data);
  void skip_gap(uint64_t gap, uint64_t ts);

  void begin_body(const BodyPlan& plan, uint64_t ts);
  void end_message(uint64_t ts, bool complete);
  void chunk_line_done();
  void fail();                     // malformed input: count it and resynchronise
  void lose_framing(uint64_t ts);  // deliver the message cut short, then fail()
  void enter_seek();

  MessageSink& sink_;
  ParserStats& stats_;
  // The small members together: no padding between them (two readers per
  // connection end with an exchange in flight).
  bool request_;
  State state_ = State::Start;
  bool hold_after_ = false;
  bool chunk_digits_ = false;

  // What resynchronising keeps, from the first bytes searched until the
  // bytes found are parsed again. Boxed and dropped after: every traced
  // HTTP/1 connection has two readers, and resynchronising is rare.
  struct Resync {
    std::string seek_buf;  // tail of bytes searched while resynchronising
    std::string replay;    // bytes from a found message start, re-fed after resync
  };
  Resync& resync() {
    if (!resync_) resync_ = std::make_unique<Resync>();
    return *resync_;
  }

  std::string head_;      // head bytes buffered across segments
  size_t head_scan_ = 0;  // find_head_end resume point in head_
  std::unique_ptr<Resync> resync_;

  uint64_t start_ts_ = 0;   // ts of the current message's first byte
  uint64_t last_ts_ = 0;    // ts of the current message's last byte so far
  uint64_t msg_bytes_ = 0;  // wire bytes of the current message so far
  uint64_t remaining_ = 0;  // body or chunk bytes still expected
  uint64_t chunk_size_ = 0;
  size_t line_len_ = 0;  // bytes in the current chunk-size or trailer line
  size_t trailer_bytes_ = 0;
};

}  // namespace loupe::http1
