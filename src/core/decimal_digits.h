// Decimal digits eight at a time, for the text written once per record
// (JSON numbers, RFC 3339 times).
#pragma once

#include <cstdint>

namespace loupe {

// The 8 decimal digits of v (< 10^8), leading zeros included, as the bytes
// of a little-endian word (the first digit in the lowest byte), each digit
// its value 0-9: add kAsciiZeros for the text. All 8 at once in a few
// multiplies (SWAR): the halves split into 4-digit lanes, each into 2-digit
// lanes, each into digits; a quotient by 100 or 10 of a lane's small value
// is exact as a multiply and shift. A loop of divisions by 10 took ~5
// instructions a digit.
[[gnu::always_inline]] inline uint64_t digits8(uint32_t v) {
  const uint64_t hi = v / 10'000, lo = v % 10'000;
  uint64_t x = hi | (lo << 32);                                  // 2 lanes of 0-9999
  uint64_t q = ((x * 10'486) >> 20) & 0x0000'007f'0000'007fULL;  // each / 100
  x = q | ((x - 100 * q) << 16);                                 // 4 lanes of 0-99
  q = ((x * 103) >> 10) & 0x000f'000f'000f'000fULL;              // each / 10
  return q | ((x - 10 * q) << 8);                                // 8 lanes of 0-9
}

// The same for v < 10^4: its 4 digits in a 32-bit word, for the small
// numbers of a record (status, byte counts), in half the steps.
[[gnu::always_inline]] inline uint32_t digits4(uint32_t v) {
  const uint32_t q = (v * 5'243) >> 19;                 // v / 100
  const uint32_t x = q | ((v - 100 * q) << 16);         // 2 lanes of 0-99
  const uint32_t t = ((x * 103) >> 10) & 0x000f'000fU;  // each / 10
  return t | ((x - 10 * t) << 8);                       // 4 lanes of 0-9
}

inline constexpr uint64_t kAsciiZeros = 0x3030'3030'3030'3030ULL;

}  // namespace loupe
