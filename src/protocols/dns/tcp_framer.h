// Splits one direction of a DNS-over-TCP stream into messages: each is a
// 2-byte big-endian length followed by that many bytes, and either part
// may be split across segments.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace loupe::dns {

class TcpFramer {
 public:
  enum class Status : uint8_t { NeedMore, Message, Lost };

  // Bytes kept of one message. Answers beyond this are not decoded; 4 KiB
  // covers ordinary responses (UDP answers are usually below 1232 bytes).
  static constexpr size_t kKeep = 4096;

  // Consumes bytes of `data` until one message completes (Message) or the
  // bytes run out (NeedMore). `used` = bytes consumed.
  Status feed(std::string_view data, size_t& used);

  // `n` uncaptured bytes: skipped inside a message body (which then stays
  // truncated at what was kept), Lost when they hide a length prefix.
  Status skip(uint64_t n);

  // The completed message (its kept prefix); valid until the next call.
  std::string_view message() const { return message_; }
  // Wire bytes of the completed message, length prefix included.
  uint64_t wire_length() const { return uint64_t{want_} + 2; }

  bool idle() const { return prefix_have_ == 0; }
  void reset();
  // The message buffer, allocated at the first message body.
  size_t memory_bytes() const { return buf_ ? kKeep : 0; }

 private:
  uint8_t prefix_[2] = {};
  uint8_t prefix_have_ = 0;  // 0..2; 2 means we are in a message body
  uint32_t want_ = 0;        // body length announced
  uint32_t have_ = 0;        // body bytes seen (captured or skipped)
  uint32_t kept_ = 0;        // body bytes kept in buf_
  bool contiguous_ = true;   // no gap yet, so more bytes may still be kept
  std::unique_ptr<char[]> buf_;
  std::string_view message_;
};

}  // namespace loupe::dns
