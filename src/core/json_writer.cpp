#include "core/json_writer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/decimal_digits.h"
#include "core/utf8.h"

namespace loupe {
namespace json_detail {

char* write_escaped(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy the run of characters that need no escaping in one go.
    size_t run = i;
    while (run + 8 <= s.size() && plain_word<uint64_t>(s.data() + run)) run += 8;
    while (run < s.size() && plain_byte(s[run])) ++run;
    std::memcpy(p, s.data() + i, run - i);
    p += run - i;
    i = run;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8::sequence_length(s, i);
      if (n == 0) {
        std::memcpy(p, "\\ufffd", 6);
        p += 6;
        ++i;
      } else {
        std::memcpy(p, s.data() + i, n);
        p += n;
        i += n;
      }
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *p++ = static_cast<char>(c);
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        std::memcpy(p, "u00", 3);
        p[3] = kHex[c >> 4];
        p[4] = kHex[c & 15];
        p += 5;
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

}  // namespace json_detail

namespace {

// v (< 10^8) without leading zeros at p (room: 8 bytes, all written).
[[gnu::always_inline]] inline char* write_up_to_8(char* p, uint32_t v) {
  const uint64_t d = digits8(v);
  // Leading zeros are the low zero bytes; "0" keeps its last digit.
  const int zeros = v == 0 ? 7 : __builtin_ctzll(d) / 8;
  const uint64_t ascii = (d >> (8 * zeros)) + kAsciiZeros;
  std::memcpy(p, &ascii, 8);
  return p + 8 - zeros;
}

[[gnu::always_inline]] inline char* write_8(char* p, uint32_t v) {
  const uint64_t ascii = digits8(v) + kAsciiZeros;
  std::memcpy(p, &ascii, 8);
  return p + 8;
}

}  // namespace

char* write_decimal(char* p, uint64_t v) {
  constexpr uint64_t k8 = 100'000'000;
  if (v < 10'000) {
    const uint32_t d = digits4(static_cast<uint32_t>(v));
    const int zeros = v == 0 ? 3 : __builtin_ctz(d) / 8;  // as write_up_to_8
    const uint32_t ascii = (d >> (8 * zeros)) + static_cast<uint32_t>(kAsciiZeros);
    std::memcpy(p, &ascii, 4);
    return p + 4 - zeros;
  }
  if (v < k8) return write_up_to_8(p, static_cast<uint32_t>(v));
  if (v < k8 * k8) {
    p = write_up_to_8(p, static_cast<uint32_t>(v / k8));
    return write_8(p, static_cast<uint32_t>(v % k8));
  }
  // 17 to 20 digits: a time in ns has 19.
  const uint64_t high = v / k8;
  p = write_up_to_8(p, static_cast<uint32_t>(high / k8));
  p = write_8(p, static_cast<uint32_t>(high % k8));
  return write_8(p, static_cast<uint32_t>(v % k8));
}

void append_json_string(std::string& out, std::string_view s) {
  size_t at = out.size();
  out.resize(at + json_string_room(s.size()));
  char* end = write_json_string(out.data() + at, s);
  out.resize(static_cast<size_t>(end - out.data()));
}

void JsonObjectWriter::grow(size_t n) {
  // A kilobyte at least (a record's object is ~650 bytes, so most need one
  // grow): resize fills what it adds, so it is not asked for a little at a
  // time, nor for all of a large buffer's capacity (the string grows that
  // by doubling itself).
  const auto used = static_cast<size_t>(p_ - out_.data());
  out_.resize(used + std::max<size_t>(n, 1024));
  p_ = out_.data() + used;
  end_ = out_.data() + out_.size();
}

}  // namespace loupe
