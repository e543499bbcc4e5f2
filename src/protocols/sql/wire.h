// Byte-order helpers for wire formats. Callers check bounds first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loupe::sql {

inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t le24(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16);
}
inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t le32(const uint8_t* p) { return le24(p) | (uint32_t{p[3]} << 24); }

// Reads a NUL-terminated string at `pos` of `s`, advancing `pos` past the
// NUL. Without a NUL (a truncated capture) returns the rest and ends at size.
inline std::string_view read_cstr(std::string_view s, std::size_t& pos) {
  if (pos >= s.size()) return {};
  std::size_t e = s.find('\0', pos);
  if (e == std::string_view::npos) e = s.size();
  std::string_view r = s.substr(pos, e - pos);
  pos = e < s.size() ? e + 1 : e;
  return r;
}

// True when every byte is text-like (printable ASCII, whitespace or UTF-8);
// used by detection to tell a query from binary data.
inline bool looks_like_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

}  // namespace loupe::sql
