#include "protocols/http2/huffman.h"

#include <array>
#include <cstdint>

namespace loupe::http2 {
namespace {

// Code length in bits of each symbol 0..255 and EOS (256), from RFC 7541
// appendix B. The code is canonical (codes of one length are consecutive,
// ordered by symbol, and shorter codes precede longer ones), so the lengths
// alone define it.
constexpr std::array<uint8_t, 257> kCodeLength{
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,
    5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8,  15, 6,  12, 10, 13, 6,  7,  7,  7,  7,  7,  7,
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8,  13, 19, 13, 14, 6,
    15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  6,  7,  6,  5,  5,  6,  7,  7,
    7,  7,  7,  15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21,
    23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24,
    21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
};

constexpr int kMaxLength = 30;
constexpr uint16_t kEos = 256;

// Canonical decoding tables: for each length, the first code of that length
// and where its symbols start in kSymbols (symbols sorted by length, then value).
struct Canonical {
  std::array<uint32_t, kMaxLength + 1> first_code{};
  std::array<uint16_t, kMaxLength + 1> count{};
  std::array<uint16_t, kMaxLength + 1> offset{};
  std::array<uint16_t, 257> symbols{};
};

constexpr Canonical make_canonical() {
  Canonical c;
  for (uint8_t len : kCodeLength) ++c.count[len];
  uint32_t code = 0;
  uint16_t offset = 0;
  for (int len = 1; len <= kMaxLength; ++len) {
    code = (code + c.count[len - 1]) << 1;
    c.first_code[len] = code;
    c.offset[len] = offset;
    offset = static_cast<uint16_t>(offset + c.count[len]);
  }
  std::array<uint16_t, kMaxLength + 1> next = c.offset;
  for (int len = 1; len <= kMaxLength; ++len)
    for (uint16_t sym = 0; sym < 257; ++sym)
      if (kCodeLength[sym] == len) c.symbols[next[len]++] = sym;
  return c;
}

constexpr Canonical kCanonical = make_canonical();

}  // namespace

bool huffman_decode(std::string_view in, std::string& out) {
  uint32_t code = 0;  // bits of the symbol being read
  int len = 0;
  bool all_ones = true;  // the bits read since the last symbol are all 1
  for (unsigned char byte : in) {
    for (int bit = 7; bit >= 0; --bit) {
      uint32_t b = (byte >> bit) & 1u;
      code = (code << 1) | b;
      all_ones = all_ones && b == 1;
      ++len;
      uint32_t rank = code - kCanonical.first_code[len];
      if (code >= kCanonical.first_code[len] && rank < kCanonical.count[len]) {
        uint16_t sym = kCanonical.symbols[kCanonical.offset[len] + rank];
        if (sym == kEos) return false;
        out.push_back(static_cast<char>(sym));
        code = 0;
        len = 0;
        all_ones = true;
      } else if (len == kMaxLength) {
        return false;  // unreachable for a complete code; kept as a bound
      }
    }
  }
  return len <= 7 && all_ones;
}

}  // namespace loupe::http2
