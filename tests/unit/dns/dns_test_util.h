// A tiny DNS encoder for building dig-shaped queries and responses in tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/dns/dns.h"
#include "protocols/parser.h"

namespace loupe::dns::testing {

inline void put16(std::string& b, uint16_t v) {
  b.push_back(static_cast<char>(v >> 8));
  b.push_back(static_cast<char>(v & 0xFF));
}

inline void put_name(std::string& b, std::string_view name) {
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    b.push_back(static_cast<char>(label.size()));
    b.append(label);
    name.remove_prefix(dot == std::string_view::npos ? name.size() : dot + 1);
  }
  b.push_back(0);
}

struct Rr {
  uint16_t type;
  std::string rdata;            // raw rdata (already encoded)
  bool name_is_pointer = true;  // owner name = pointer to the question (0xC00C), as servers do
};

inline std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0,
                          uint16_t ar = 0) {
  std::string b;
  put16(b, id);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, ns);
  put16(b, ar);
  return b;
}

// dig example.com A: RD set, one question, an EDNS OPT record.
inline std::string query(uint16_t id, std::string_view name, uint16_t qtype) {
  std::string b = header(id, 0x0120, 1, 0, 0, 1);
  put_name(b, name);
  put16(b, qtype);
  put16(b, 1);
  b.append(std::string("\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11));  // OPT
  return b;
}

inline std::string response(uint16_t id, std::string_view name, uint16_t qtype, int rcode,
                            const std::vector<Rr>& answers) {
  std::string b =
      header(id, static_cast<uint16_t>(0x8180 | rcode), 1, static_cast<uint16_t>(answers.size()));
  put_name(b, name);
  put16(b, qtype);
  put16(b, 1);
  for (const auto& rr : answers) {
    put16(b, 0xC00C);
    put16(b, rr.type);
    put16(b, 1);
    put16(b, 0);
    put16(b, 300);  // TTL
    put16(b, static_cast<uint16_t>(rr.rdata.size()));
    b += rr.rdata;
  }
  return b;
}

inline Rr a(uint8_t x, uint8_t y, uint8_t z, uint8_t w) {
  return {1, std::string{static_cast<char>(x), static_cast<char>(y), static_cast<char>(z),
                         static_cast<char>(w)}};
}

inline std::string tcp(std::string_view msg) {
  std::string b;
  put16(b, static_cast<uint16_t>(msg.size()));
  b.append(msg);
  return b;
}

// A client-side resolver connection by default: queries are Egress.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Client) : ParserConn(make_parser(r), r) {}
};

}  // namespace loupe::dns::testing
