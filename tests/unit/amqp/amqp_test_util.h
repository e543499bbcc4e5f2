// Helpers for feeding AMQP 0-9-1 byte streams to a parser in tests: frames
// built field by field as the specification lays them out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/amqp/amqp.h"
#include "protocols/amqp/method.h"

namespace loupe::amqp::testing {

// A server-side parser by default. req() is what the client sends, resp()
// what the server sends, whichever side the parser sits on.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}
};

inline std::string be(uint64_t v, int octets) {
  std::string out;
  for (int i = octets - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
inline std::string shortstr(std::string_view s) { return be(s.size(), 1) + std::string(s); }
inline const std::string kEmptyTable = be(0, 4);

inline std::string frame(uint8_t type, uint16_t channel, std::string_view payload) {
  return be(type, 1) + be(channel, 2) + be(payload.size(), 4) + std::string(payload) + "\xCE";
}
inline std::string method(uint16_t channel, uint16_t cls, uint16_t id, std::string_view args = {}) {
  return frame(kFrameMethod, channel, be(cls, 2) + be(id, 2) + std::string(args));
}
// A content header (with a delivery-mode property) and the body in frames
// of at most `max_body` bytes.
inline std::string content(uint16_t channel, std::string_view body, size_t max_body = 131064) {
  std::string out = frame(kFrameHeader, channel,
                          be(60, 2) + be(0, 2) + be(body.size(), 8) + be(0x1000, 2) + be(2, 1));
  for (size_t at = 0; at < body.size(); at += max_body)
    out += frame(kFrameBody, channel, body.substr(at, max_body));
  return out;
}
inline const std::string kHeartbeat = frame(kFrameHeartbeat, 0, "");

inline std::string channel_open(uint16_t ch) { return method(ch, 20, 10, shortstr("")); }
inline std::string channel_open_ok(uint16_t ch) { return method(ch, 20, 11, be(0, 4)); }
inline std::string close(uint16_t ch, uint16_t code, std::string_view text) {
  return method(ch, ch == 0 ? 10 : 20, ch == 0 ? 50 : 40,
                be(code, 2) + shortstr(text) + be(0, 2) + be(0, 2));
}
inline std::string close_ok(uint16_t ch) {
  return method(ch, ch == 0 ? 10 : 20, ch == 0 ? 51 : 41);
}
inline std::string queue_declare(uint16_t ch, std::string_view queue, uint8_t bits = 0) {
  return method(ch, 50, 10, be(0, 2) + shortstr(queue) + be(bits, 1) + kEmptyTable);
}
inline std::string queue_declare_ok(uint16_t ch, std::string_view queue, uint32_t messages,
                                    uint32_t consumers) {
  return method(ch, 50, 11, shortstr(queue) + be(messages, 4) + be(consumers, 4));
}
inline std::string consume(uint16_t ch, std::string_view queue, std::string_view tag,
                           uint8_t bits = 0) {
  return method(ch, 60, 20, be(0, 2) + shortstr(queue) + shortstr(tag) + be(bits, 1) + kEmptyTable);
}
inline std::string consume_ok(uint16_t ch, std::string_view tag) {
  return method(ch, 60, 21, shortstr(tag));
}
inline std::string publish_method(uint16_t ch, std::string_view exchange, std::string_view key) {
  return method(ch, 60, 40, be(0, 2) + shortstr(exchange) + shortstr(key) + be(0, 1));
}
inline std::string publish(uint16_t ch, std::string_view exchange, std::string_view key,
                           std::string_view body, size_t max_body = 131064) {
  return publish_method(ch, exchange, key) + content(ch, body, max_body);
}
inline std::string deliver_method(uint16_t ch, std::string_view tag, uint64_t delivery,
                                  std::string_view exchange, std::string_view key) {
  return method(ch, 60, 60,
                shortstr(tag) + be(delivery, 8) + be(0, 1) + shortstr(exchange) + shortstr(key));
}
inline std::string get(uint16_t ch, std::string_view queue) {
  return method(ch, 60, 70, be(0, 2) + shortstr(queue) + be(0, 1));
}
inline std::string get_ok_method(uint16_t ch, std::string_view exchange, std::string_view key,
                                 uint32_t left) {
  return method(ch, 60, 71, be(1, 8) + be(0, 1) + shortstr(exchange) + shortstr(key) + be(left, 4));
}
inline std::string get_empty(uint16_t ch) { return method(ch, 60, 72, shortstr("")); }

// "method path detail" per record (error_code for errors).
inline std::vector<std::string> summary(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs)
    out.push_back(r.method + " " + r.path + " " + (r.error ? r.error_code : r.detail));
  return out;
}

}  // namespace loupe::amqp::testing
