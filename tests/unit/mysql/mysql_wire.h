// Builders for MySQL wire packets, shaped like mysql/mariadb client traffic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/mysql/mysql.h"
#include "protocols/mysql/packets.h"
#include "protocols/parser.h"

namespace loupe::mysql::testing {

using namespace loupe::mysql;

inline std::string le16(uint16_t v) { return {static_cast<char>(v), static_cast<char>(v >> 8)}; }
inline std::string le32(uint32_t v) {
  return le16(static_cast<uint16_t>(v)) + le16(static_cast<uint16_t>(v >> 16));
}
inline std::string lenenc(uint64_t v) {
  if (v < 0xFB) return std::string(1, static_cast<char>(v));
  return "\xfc" + le16(static_cast<uint16_t>(v));
}
inline std::string lenstr(std::string_view s) { return lenenc(s.size()) + std::string(s); }
inline std::string cstr(std::string_view s) { return std::string(s) + '\0'; }

inline std::string packet(uint8_t seq, std::string_view payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  return std::string{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                     static_cast<char>(seq)} +
         std::string(payload);
}

inline constexpr uint32_t kCaps = 0x000FA68D | kClientProtocol41 | kClientSecureConnection |
                                  kClientPluginAuthLenencData | kClientConnectWithDb;

inline std::string greeting(uint32_t caps, std::string_view version = "8.0.36") {
  std::string p = "\x0a" + cstr(version) + le32(17) + "abcdefgh" + std::string(1, '\0') +
                  le16(static_cast<uint16_t>(caps)) + "\xff" + le16(2) +
                  le16(static_cast<uint16_t>(caps >> 16)) + "\x15" + std::string(10, '\0') +
                  "ijklmnopqrst" + std::string(1, '\0') + cstr("caching_sha2_password");
  return packet(0, p);
}
inline std::string handshake_response(uint32_t caps, std::string_view db) {
  std::string p = le32(caps) + le32(16777216) + "\x2d" + std::string(23, '\0') + cstr("app") +
                  lenstr(std::string(32, 'x')) + cstr(db) + cstr("caching_sha2_password");
  return packet(1, p);
}
inline std::string ssl_request(uint32_t caps) {
  return packet(1, le32(caps | kClientSsl) + le32(16777216) + "\x2d" + std::string(23, '\0'));
}
inline std::string ok(uint8_t seq, uint64_t affected = 0, uint16_t status = 2, uint8_t hdr = 0) {
  return packet(seq, std::string(1, static_cast<char>(hdr)) + lenenc(affected) + lenenc(0) +
                         le16(status) + le16(0));
}
inline std::string eof(uint8_t seq, uint16_t status = 2) {
  return packet(seq, "\xfe" + le16(0) + le16(status));
}
inline std::string err(uint8_t seq, uint16_t code, std::string_view state, std::string_view msg) {
  return packet(seq, "\xff" + le16(code) + "#" + std::string(state) + std::string(msg));
}
inline std::string command(uint8_t cmd, std::string_view args) {
  return packet(0, std::string(1, static_cast<char>(cmd)) + std::string(args));
}
inline std::string query(std::string_view q) { return command(kComQuery, q); }
inline std::string column_def(uint8_t seq, std::string_view name) {
  return packet(seq, lenstr("def") + lenstr("shop") + lenstr("t") + lenstr("t") + lenstr(name) +
                         lenstr(name) + "\x0c" + le16(33) + le32(255) + "\xfd" + le16(0) +
                         std::string(1, '\0') + le16(0));
}

// A text result set; with deprecate_eof the EOF after the columns is
// omitted and the final EOF becomes an OK packet with a 0xFE header.
inline std::string result_set(const std::vector<std::string>& cols,
                              const std::vector<std::vector<std::string>>& rows, bool deprecate_eof,
                              uint16_t final_status = 2) {
  uint8_t seq = 1;
  std::string s = packet(seq++, lenenc(cols.size()));
  for (const auto& c : cols) s += column_def(seq++, c);
  if (!deprecate_eof) s += eof(seq++);
  for (const auto& r : rows) {
    std::string p;
    for (const auto& v : r) p += lenstr(v);
    s += packet(seq++, p);
  }
  s += deprecate_eof ? ok(seq, 0, final_status, 0xFE) : eof(seq, final_status);
  return s;
}

inline std::string prepare_ok(uint32_t id, uint16_t cols, uint16_t params, bool deprecate_eof) {
  uint8_t seq = 1;
  std::string s = packet(seq++, std::string(1, '\0') + le32(id) + le16(cols) + le16(params) +
                                    std::string(1, '\0') + le16(0));
  for (int i = 0; i < params; ++i) s += column_def(seq++, "?");
  if (params && !deprecate_eof) s += eof(seq++);
  for (int i = 0; i < cols; ++i) s += column_def(seq++, "c" + std::to_string(i));
  if (cols && !deprecate_eof) s += eof(seq++);
  return s;
}
inline std::string execute(uint32_t id) {
  return command(kComStmtExecute,
                 le32(id) + std::string(1, '\0') + le32(1) + "\x00\x01\x03" + le32(42));
}

// A client-side connection by default: requests are Egress.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(loupe::Role r = loupe::Role::Client) : ParserConn(make_parser(r), r) {}
};

// Greeting, handshake response and OK, with or without CLIENT_DEPRECATE_EOF.
inline Conn connected(bool deprecate_eof, std::string_view db = "shop") {
  Conn c;
  uint32_t caps = kCaps | (deprecate_eof ? kClientDeprecateEof : 0);
  c.resp(greeting(caps), 1);
  c.req(handshake_response(caps, db), 2);
  c.resp(packet(2, "\x01\x03"), 3);  // caching_sha2 fast auth success
  c.resp(ok(3), 4);
  return c;
}

}  // namespace loupe::mysql::testing
