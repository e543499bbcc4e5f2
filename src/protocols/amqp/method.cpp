#include "protocols/amqp/method.h"

#include <utility>

namespace loupe::amqp {
namespace {

constexpr auto C = Sender::Client;
constexpr auto S = Sender::Server;
constexpr auto B = Sender::Both;

constexpr MethodSpec sync(uint16_t cls, uint16_t id, std::string_view name, Sender from,
                          uint16_t reply, bool recorded = true) {
  return {.class_id = cls,
          .method_id = id,
          .name = name,
          .sender = from,
          .reply_id = reply,
          .recorded = recorded};
}
constexpr MethodSpec ok(uint16_t cls, uint16_t id, std::string_view name, Sender from) {
  return {.class_id = cls, .method_id = id, .name = name, .sender = from, .is_reply = true};
}
constexpr MethodSpec async(uint16_t cls, uint16_t id, std::string_view name, Sender from,
                           bool recorded = false) {
  return {.class_id = cls, .method_id = id, .name = name, .sender = from, .recorded = recorded};
}
constexpr MethodSpec with_content(uint16_t cls, uint16_t id, std::string_view name, Sender from) {
  return {.class_id = cls, .method_id = id, .name = name, .sender = from, .content = true};
}

// AMQP 0-9-1 with RabbitMQ's extensions (exchange.bind/unbind,
// confirm.select, basic.nack, connection.blocked and update-secret). The
// connection handshake (start, secure, tune; start-ok carries credentials)
// and acknowledgements make no record of their own.
constexpr MethodSpec kMethods[] = {
    sync(10, 10, "connection.start", S, 11, false),
    ok(10, 11, "connection.start-ok", C),
    sync(10, 20, "connection.secure", S, 21, false),
    ok(10, 21, "connection.secure-ok", C),
    sync(10, 30, "connection.tune", S, 31, false),
    ok(10, 31, "connection.tune-ok", C),
    sync(10, 40, "connection.open", C, 41),
    ok(10, 41, "connection.open-ok", S),
    sync(10, 50, "connection.close", B, 51),
    ok(10, 51, "connection.close-ok", B),
    async(10, 60, "connection.blocked", S, true),
    async(10, 61, "connection.unblocked", S, true),
    sync(10, 70, "connection.update-secret", C, 71),
    ok(10, 71, "connection.update-secret-ok", S),
    sync(20, 10, "channel.open", C, 11),
    ok(20, 11, "channel.open-ok", S),
    sync(20, 20, "channel.flow", B, 21),
    ok(20, 21, "channel.flow-ok", B),
    sync(20, 40, "channel.close", B, 41),
    ok(20, 41, "channel.close-ok", B),
    sync(40, 10, "exchange.declare", C, 11),
    ok(40, 11, "exchange.declare-ok", S),
    sync(40, 20, "exchange.delete", C, 21),
    ok(40, 21, "exchange.delete-ok", S),
    sync(40, 30, "exchange.bind", C, 31),
    ok(40, 31, "exchange.bind-ok", S),
    sync(40, 40, "exchange.unbind", C, 51),
    ok(40, 51, "exchange.unbind-ok", S),
    sync(50, 10, "queue.declare", C, 11),
    ok(50, 11, "queue.declare-ok", S),
    sync(50, 20, "queue.bind", C, 21),
    ok(50, 21, "queue.bind-ok", S),
    sync(50, 30, "queue.purge", C, 31),
    ok(50, 31, "queue.purge-ok", S),
    sync(50, 40, "queue.delete", C, 41),
    ok(50, 41, "queue.delete-ok", S),
    sync(50, 50, "queue.unbind", C, 51),
    ok(50, 51, "queue.unbind-ok", S),
    sync(60, 10, "basic.qos", C, 11),
    ok(60, 11, "basic.qos-ok", S),
    sync(60, 20, "basic.consume", C, 21),
    ok(60, 21, "basic.consume-ok", S),
    sync(60, 30, "basic.cancel", B, 31),
    ok(60, 31, "basic.cancel-ok", B),
    with_content(60, 40, "basic.publish", C),
    with_content(60, 50, "basic.return", S),
    with_content(60, 60, "basic.deliver", S),
    {.class_id = 60,
     .method_id = 70,
     .name = "basic.get",
     .sender = C,
     .reply_id = 71,
     .alt_reply_id = 72},
    {.class_id = 60,
     .method_id = 71,
     .name = "basic.get-ok",
     .sender = S,
     .is_reply = true,
     .content = true},
    ok(60, 72, "basic.get-empty", S),
    async(60, 80, "basic.ack", B),
    async(60, 90, "basic.reject", C),
    async(60, 100, "basic.recover-async", C),
    sync(60, 110, "basic.recover", C, 111),
    ok(60, 111, "basic.recover-ok", S),
    async(60, 120, "basic.nack", B),
    sync(85, 10, "confirm.select", C, 11),
    ok(85, 11, "confirm.select-ok", S),
    sync(90, 10, "tx.select", C, 11),
    ok(90, 11, "tx.select-ok", S),
    sync(90, 20, "tx.commit", C, 21),
    ok(90, 21, "tx.commit-ok", S),
    sync(90, 30, "tx.rollback", C, 31),
    ok(90, 31, "tx.rollback-ok", S),
};

// Big-endian field reader over a payload; a read past its end leaves the
// value empty and marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  uint64_t number(size_t octets) {
    if (!take(octets)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < octets; ++i) v = v << 8 | static_cast<uint8_t>(bytes_[at_ - octets + i]);
    return v;
  }
  uint16_t u16() { return static_cast<uint16_t>(number(2)); }
  uint32_t u32() { return static_cast<uint32_t>(number(4)); }
  void skip(size_t octets) { take(octets); }
  std::string_view shortstr() {
    size_t n = static_cast<size_t>(number(1));
    if (!take(n)) return {};
    return bytes_.substr(at_ - n, n);
  }
  // Bit `i` of the next octet (consecutive bit arguments share one octet).
  bool bit(unsigned i) { return (number(1) >> i) & 1; }
  bool failed() const { return failed_; }

 private:
  bool take(size_t n) {
    if (failed_ || bytes_.size() - at_ < n) {
      failed_ = true;
      return false;
    }
    at_ += n;
    return true;
  }

  std::string_view bytes_;
  size_t at_ = 0;
  bool failed_ = false;
};

constexpr uint32_t id(uint16_t cls, uint16_t method) { return uint32_t{cls} << 16 | method; }

// The arguments of `m` that records use, read in the specification's order;
// `r` stands after the class and method ids. Tables and arguments after the
// last one read are not looked at.
void read_arguments(Method& m, Reader& r) {
  switch (id(m.spec->class_id, m.spec->method_id)) {
    case id(10, 30):  // connection.tune: channel-max, frame-max, heartbeat
    case id(10, 31):  // connection.tune-ok
      r.skip(2);
      m.frame_max = r.u32();
      break;
    case id(10, 40):  // connection.open
      m.vhost = r.shortstr();
      break;
    case id(10, 50):  // connection.close
    case id(20, 40):  // channel.close
      m.reply_code = r.u16();
      m.reply_text = r.shortstr();
      break;
    case id(40, 10):  // exchange.declare: ticket, exchange, type, passive..no-wait
      r.skip(2);
      m.exchange = r.shortstr();
      m.exchange_type = r.shortstr();
      m.no_wait = r.bit(4);
      break;
    case id(40, 20):  // exchange.delete: ticket, exchange, if-unused, no-wait
      r.skip(2);
      m.exchange = r.shortstr();
      m.no_wait = r.bit(1);
      break;
    case id(40, 30):  // exchange.bind: ticket, destination, source, routing-key, no-wait
    case id(40, 40):  // exchange.unbind
      r.skip(2);
      m.exchange = r.shortstr();
      m.source = r.shortstr();
      m.routing_key = r.shortstr();
      m.no_wait = r.bit(0);
      break;
    case id(50, 10):  // queue.declare: ticket, queue, passive..no-wait
      r.skip(2);
      m.queue = r.shortstr();
      m.no_wait = r.bit(4);
      break;
    case id(50, 11):  // queue.declare-ok
      m.queue = r.shortstr();
      m.message_count = r.u32();
      m.consumer_count = r.u32();
      break;
    case id(50, 20):  // queue.bind: ticket, queue, exchange, routing-key, no-wait
      r.skip(2);
      m.queue = r.shortstr();
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      m.no_wait = r.bit(0);
      break;
    case id(50, 30):  // queue.purge: ticket, queue, no-wait
      r.skip(2);
      m.queue = r.shortstr();
      m.no_wait = r.bit(0);
      break;
    case id(50, 40):  // queue.delete: ticket, queue, if-unused, if-empty, no-wait
      r.skip(2);
      m.queue = r.shortstr();
      m.no_wait = r.bit(2);
      break;
    case id(50, 31):  // queue.purge-ok
    case id(50, 41):  // queue.delete-ok
      m.message_count = r.u32();
      break;
    case id(50, 50):  // queue.unbind: ticket, queue, exchange, routing-key
      r.skip(2);
      m.queue = r.shortstr();
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      break;
    case id(60, 10):  // basic.qos: prefetch-size, prefetch-count, global
      r.skip(4);
      m.prefetch_count = r.u16();
      break;
    case id(60, 20):  // basic.consume: ticket, queue, consumer-tag, no-local..no-wait
      r.skip(2);
      m.queue = r.shortstr();
      m.consumer_tag = r.shortstr();
      m.no_wait = r.bit(3);
      break;
    case id(60, 21):  // basic.consume-ok
    case id(60, 31):  // basic.cancel-ok
      m.consumer_tag = r.shortstr();
      break;
    case id(60, 30):  // basic.cancel: consumer-tag, no-wait
      m.consumer_tag = r.shortstr();
      m.no_wait = r.bit(0);
      break;
    case id(60, 40):  // basic.publish: ticket, exchange, routing-key
      r.skip(2);
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      break;
    case id(60, 50):  // basic.return: reply-code, reply-text, exchange, routing-key
      m.reply_code = r.u16();
      m.reply_text = r.shortstr();
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      break;
    case id(60,
            60):  // basic.deliver: consumer-tag, delivery-tag, redelivered, exchange, routing-key
      m.consumer_tag = r.shortstr();
      r.skip(9);
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      break;
    case id(60, 70):  // basic.get: ticket, queue
      r.skip(2);
      m.queue = r.shortstr();
      break;
    case id(60,
            71):  // basic.get-ok: delivery-tag, redelivered, exchange, routing-key, message-count
      r.skip(9);
      m.exchange = r.shortstr();
      m.routing_key = r.shortstr();
      m.message_count = r.u32();
      break;
    case id(85, 10):  // confirm.select: no-wait
      m.no_wait = r.bit(0);
      break;
    default:
      break;
  }
}

}  // namespace

FrameHeader read_frame_header(std::string_view b) {
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  return {.type = u8(0),
          .channel = static_cast<uint16_t>(u8(1) << 8 | u8(2)),
          .size = uint32_t{u8(3)} << 24 | uint32_t{u8(4)} << 16 | uint32_t{u8(5)} << 8 | u8(6)};
}

bool plausible(const FrameHeader& h) {
  switch (h.type) {
    case kFrameMethod:
      return h.size >= 4;
    case kFrameHeader:
      return h.size >= 14 && h.channel != 0;
    case kFrameBody:
      return h.channel != 0;
    case kFrameHeartbeat:
      return h.size == 0 && h.channel == 0;
    default:
      return false;
  }
}

const MethodSpec* find_method(uint16_t class_id, uint16_t method_id) {
  for (const MethodSpec& s : kMethods)
    if (s.class_id == class_id && s.method_id == method_id) return &s;
  return nullptr;
}

std::optional<Method> decode_method(std::string_view payload) {
  Reader r(payload);
  uint16_t cls = r.u16(), method = r.u16();
  if (r.failed()) return std::nullopt;
  Method m;
  m.spec = find_method(cls, method);
  if (!m.spec) return std::nullopt;
  read_arguments(m, r);
  m.complete = !r.failed();
  return m;
}

std::optional<uint64_t> content_body_size(std::string_view payload) {
  Reader r(payload);
  r.skip(4);  // class id, weight
  uint64_t size = r.number(8);
  if (r.failed()) return std::nullopt;
  return size;
}

std::string_view reply_code_name(uint16_t code) {
  static constexpr std::pair<uint16_t, std::string_view> kNames[] = {
      {200, "REPLY_SUCCESS"},       {311, "CONTENT_TOO_LARGE"}, {312, "NO_ROUTE"},
      {313, "NO_CONSUMERS"},        {320, "CONNECTION_FORCED"}, {402, "INVALID_PATH"},
      {403, "ACCESS_REFUSED"},      {404, "NOT_FOUND"},         {405, "RESOURCE_LOCKED"},
      {406, "PRECONDITION_FAILED"}, {501, "FRAME_ERROR"},       {502, "SYNTAX_ERROR"},
      {503, "COMMAND_INVALID"},     {504, "CHANNEL_ERROR"},     {505, "UNEXPECTED_FRAME"},
      {506, "RESOURCE_ERROR"},      {530, "NOT_ALLOWED"},       {540, "NOT_IMPLEMENTED"},
      {541, "INTERNAL_ERROR"},
  };
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return "";
}

}  // namespace loupe::amqp
