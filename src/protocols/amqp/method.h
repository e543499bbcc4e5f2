// AMQP 0-9-1 frames and methods: the frame layout, which methods exist, who
// sends each, what answers a synchronous one, and the few arguments a record
// carries, decoded from a method frame's payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace loupe::amqp {

// Frame: type (1 octet), channel (2), payload size (4), payload, 0xCE.
inline constexpr uint8_t kFrameMethod = 1;
inline constexpr uint8_t kFrameHeader = 2;  // content header: class, weight, body size, properties
inline constexpr uint8_t kFrameBody = 3;
inline constexpr uint8_t kFrameHeartbeat = 8;
inline constexpr uint8_t kFrameEnd = 0xCE;
inline constexpr size_t kFrameHeaderSize = 7;
// What a client sends before its first frame.
inline constexpr std::string_view kProtocolHeader{"AMQP\0\0\x09\x01", 8};

struct FrameHeader {
  uint8_t type = 0;
  uint16_t channel = 0;
  uint32_t size = 0;  // payload bytes, without the frame-end octet
};

// The first kFrameHeaderSize bytes of `bytes` as a frame header (big-endian).
FrameHeader read_frame_header(std::string_view bytes);

// False for a frame no peer sends: an unknown type, a heartbeat with a
// payload or off channel 0, a method frame too short for its ids.
bool plausible(const FrameHeader& h);

// Which side may send a method.
enum class Sender : uint8_t { Client, Server, Both };

struct MethodSpec {
  uint16_t class_id = 0;
  uint16_t method_id = 0;
  std::string_view name;  // "queue.declare", as the specification names it
  Sender sender = Sender::Client;
  // A synchronous method's answers (the -ok method; basic.get also
  // get-empty); 0 for asynchronous methods and for answers themselves.
  uint16_t reply_id = 0;
  uint16_t alt_reply_id = 0;
  bool is_reply = false;  // an -ok method (or get-empty)
  bool content = false;   // a content header and body frames follow
  bool recorded = true;   // false: handshake and acknowledgements make no record
};

// The spec of a method Loupe knows, or nullptr.
const MethodSpec* find_method(uint16_t class_id, uint16_t method_id);

// A method frame's payload: its spec and the arguments records use, as views
// into the payload. Arguments a method does not have stay empty.
struct Method {
  const MethodSpec* spec = nullptr;
  std::string_view queue;
  std::string_view exchange;  // exchange.bind/unbind: the destination
  std::string_view source;    // exchange.bind/unbind: the source exchange
  std::string_view routing_key;
  std::string_view consumer_tag;
  std::string_view exchange_type;  // exchange.declare
  std::string_view vhost;          // connection.open
  std::string_view reply_text;     // channel.close, connection.close, basic.return
  uint16_t reply_code = 0;
  uint16_t prefetch_count = 0;
  uint32_t message_count = 0;
  uint32_t consumer_count = 0;
  uint32_t frame_max = 0;  // connection.tune, tune-ok
  bool no_wait = false;    // a synchronous method whose sender asked for no answer
  bool complete = false;   // every argument read was in the payload
};

// nullopt for a payload shorter than the ids or an unknown method.
std::optional<Method> decode_method(std::string_view payload);

// The body size a content header frame's payload announces, or nullopt when
// the payload is too short to hold it.
std::optional<uint64_t> content_body_size(std::string_view payload);

// The constant name of an AMQP reply code ("NOT_FOUND" for 404), or "".
std::string_view reply_code_name(uint16_t code);

}  // namespace loupe::amqp
