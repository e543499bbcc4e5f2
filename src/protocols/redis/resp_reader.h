// Incremental RESP2/RESP3 framing for one direction of a Redis connection.
//
// The reader never buffers a whole message: it keeps a stack of aggregate
// counters, the start of the current line and the first bytes of the few
// elements a record needs (command name and arguments, error text). Bulk
// payloads are skipped by count, so a large value whose tail was not
// captured keeps the framing intact (see skip()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loupe::redis {

// One complete top-level message, as far as records need it.
struct RespMessage {
  // Type byte of the top-level element after any attributes ('*', '+', '-',
  // '!', '>', ...); 'i' for an inline command line.
  char type = 0;
  // Request side: the first top-level array elements (command name, then
  // arguments) or inline words. Reply side: args[0] is a top-level bulk
  // payload (the text of a '!' blob error).
  static constexpr size_t kMaxArgs = 3;
  std::array<std::string_view, kMaxArgs> args;
  size_t nargs = 0;
  std::string_view line;  // text of a top-level '+'/'-' line (truncated)
};

class RespReader {
 public:
  enum class Side : uint8_t { Request, Reply };
  enum class Status : uint8_t { NeedMore, Message, Malformed };

  static constexpr size_t kArgCap = 256;           // bytes kept of each captured element
  static constexpr size_t kLineCap = 512;          // bytes kept of a line
  static constexpr size_t kMaxDepth = 32;          // aggregate nesting before we call it garbage
  static constexpr uint64_t kMaxLine = 64 * 1024;  // longest line (Redis' inline limit)

  explicit RespReader(Side side) : side_(side) {}

  // Consumes bytes of `data` until one message completes (Message; the rest
  // of `data` is untouched), the bytes run out (NeedMore) or they cannot be
  // RESP (Malformed; call reset() before feeding again). `used` is set to
  // the bytes consumed.
  Status feed(std::string_view data, size_t& used);

  // Accounts for `n` bytes the capture missed. Inside a bulk payload they
  // are simply skipped (Message if they end it and with it the message);
  // anywhere else the framing is lost (Malformed).
  Status skip(uint64_t n);

  // True between messages: the next byte fed starts a new message.
  bool idle() const { return !started_; }

  void reset();

  // The last completed message; valid until the next feed()/skip()/reset().
  // While a message is in progress, holds what was captured so far.
  const RespMessage& message() const { return msg_; }

 private:
  enum class State : uint8_t { Type, Line, Bulk };
  struct Level {
    // 32 bits each keep a reader small (one per direction per connection).
    uint32_t remaining;  // elements still to come
    uint32_t count;      // elements announced
    bool attribute;      // a '|' attribute: not itself an element of its parent
  };

  Status on_type(char c);
  // A whole line of a non-inline type, without its line end (`text`: line_
  // or the bytes fed).
  Status on_line(std::string_view text);
  Status on_inline_line();
  Status begin_aggregate(int64_t n);
  Status begin_bulk(int64_t n);
  Status finish_element(bool attribute);
  void capture(std::string_view bytes);

  Side side_;
  State state_ = State::Type;
  bool started_ = false;
  char line_type_ = 0;
  uint64_t line_total_ = 0;  // bytes of the current line seen, kept or not
  size_t line_len_ = 0;      // bytes of it kept in line_
  bool line_truncated_ = false;
  uint64_t bulk_left_ = 0;             // payload bytes + CRLF still to come
  uint64_t capture_payload_left_ = 0;  // payload bytes (not CRLF) still to come
  int capture_slot_ = -1;              // args_ slot receiving the current bulk, or -1
  size_t depth_ = 0;
  std::array<Level, kMaxDepth> stack_{};
  std::array<char, kLineCap> line_{};
  std::array<std::array<char, kArgCap>, RespMessage::kMaxArgs> args_{};
  std::array<size_t, RespMessage::kMaxArgs> arg_len_{};
  RespMessage msg_;
};

}  // namespace loupe::redis
