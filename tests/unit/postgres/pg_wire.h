// Builders for PostgreSQL wire messages, shaped like psql/libpq traffic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/parser.h"
#include "protocols/postgres/postgres.h"

namespace loupe::postgres::testing {

inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
inline std::string be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }
inline std::string cstr(std::string_view s) { return std::string(s) + '\0'; }

inline std::string msg(char type, std::string_view body) {
  return std::string(1, type) + be32(static_cast<uint32_t>(body.size() + 4)) + std::string(body);
}
inline std::string untyped(uint32_t code, std::string_view body) {
  return be32(static_cast<uint32_t>(body.size() + 8)) + be32(code) + std::string(body);
}

// --- frontend ---
inline std::string startup(std::string_view user, std::string_view db) {
  return untyped(196608, cstr("user") + cstr(user) + cstr("database") + cstr(db) +
                             cstr("application_name") + cstr("psql") + std::string(1, '\0'));
}
inline std::string ssl_request() { return untyped(80877103, ""); }
inline std::string query(std::string_view q) { return msg('Q', cstr(q)); }
inline std::string parse(std::string_view name, std::string_view q) {
  return msg('P', cstr(name) + cstr(q) + be16(0));
}
inline std::string bind(std::string_view portal, std::string_view stmt,
                        const std::vector<std::string>& params = {}) {
  std::string b = cstr(portal) + cstr(stmt) + be16(0) + be16(static_cast<uint16_t>(params.size()));
  for (const auto& p : params) b += be32(static_cast<uint32_t>(p.size())) + p;
  return msg('B', b + be16(0));
}
inline std::string describe_portal(std::string_view portal) { return msg('D', "P" + cstr(portal)); }
inline std::string describe_stmt(std::string_view name) { return msg('D', "S" + cstr(name)); }
inline std::string execute(std::string_view portal) { return msg('E', cstr(portal) + be32(0)); }
inline std::string sync_msg() { return msg('S', ""); }
inline std::string terminate() { return msg('X', ""); }
inline std::string password(std::string_view pw) { return msg('p', cstr(pw)); }

// --- backend ---
inline std::string auth(uint32_t code, std::string_view extra = "") {
  return msg('R', be32(code) + std::string(extra));
}
inline std::string param_status(std::string_view k, std::string_view v) {
  return msg('S', cstr(k) + cstr(v));
}
inline std::string backend_key() { return msg('K', be32(1234) + be32(5678)); }
inline std::string ready(char status = 'I') { return msg('Z', std::string(1, status)); }
inline std::string row_description(const std::vector<std::string>& cols) {
  std::string b = be16(static_cast<uint16_t>(cols.size()));
  for (const auto& c : cols)
    b += cstr(c) + be32(0) + be16(0) + be32(25) + be16(65535) + be32(0xFFFFFFFF) + be16(0);
  return msg('T', b);
}
inline std::string data_row(const std::vector<std::string>& vals) {
  std::string b = be16(static_cast<uint16_t>(vals.size()));
  for (const auto& v : vals) b += be32(static_cast<uint32_t>(v.size())) + v;
  return msg('D', b);
}
inline std::string complete(std::string_view tag) { return msg('C', cstr(tag)); }
inline std::string error(std::string_view code, std::string_view message) {
  return msg('E', "S" + cstr("ERROR") + "V" + cstr("ERROR") + "C" + cstr(code) + "M" +
                      cstr(message) + "P" + cstr("15") + std::string(1, '\0'));
}
inline std::string parse_complete() { return msg('1', ""); }
inline std::string bind_complete() { return msg('2', ""); }
inline std::string no_data() { return msg('n', ""); }
inline std::string param_description() { return msg('t', be16(1) + be32(23)); }

// The server's answer to a successful startup with trust/md5 auth.
inline std::string startup_reply() {
  return auth(0) + param_status("server_version", "16.2") +
         param_status("client_encoding", "UTF8") + backend_key() + ready();
}

// A client-side connection by default: requests are Egress.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(loupe::Role r = loupe::Role::Client)
      : ParserConn(loupe::postgres::make_parser(r), r) {}
};

}  // namespace loupe::postgres::testing
