#include "core/json_writer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "core/utf8.h"

namespace loupe {
namespace {

// Bytes copied as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

// Whether all bytes of the word (8 or 4 bytes) at `s` are plain (kPlain):
// no control byte, '"', '\\', DEL or byte >= 0x80. A word at a time, so
// text with nothing to escape costs ~2 instructions a byte instead of ~5.
template <typename Word>
[[gnu::always_inline]] inline bool plain_word(const char* s) {
  constexpr Word kOnes = static_cast<Word>(0x0101010101010101ULL);
  constexpr Word kHighBits = static_cast<Word>(0x8080808080808080ULL);
  // Whether any byte of `w` is 0 (exact, for "any").
  auto any_zero = [](Word w) { return static_cast<Word>((w - kOnes) & ~w & kHighBits); };
  Word v;
  std::memcpy(&v, s, sizeof v);
  const auto below_space = static_cast<Word>((v - 0x20 * kOnes) & ~v & kHighBits);
  return (below_space | (v & kHighBits) | any_zero(v ^ ('"' * kOnes)) |
          any_zero(v ^ ('\\' * kOnes)) | any_zero(v ^ (0x7f * kOnes))) == 0;
}

// Text of 4 to 16 bytes with nothing to escape (most of a record's
// fields: names, addresses, methods, paths) checked and copied as two
// overlapping words, without a loop or a call; false for any other.
template <typename Word>
bool write_short_plain(char*& p, std::string_view s) {
  const size_t n = s.size();
  if (n < sizeof(Word) || n > 2 * sizeof(Word) || !plain_word<Word>(s.data()) ||
      !plain_word<Word>(s.data() + n - sizeof(Word)))
    return false;
  p[0] = '"';
  std::memcpy(p + 1, s.data(), sizeof(Word));
  std::memcpy(p + 1 + n - sizeof(Word), s.data() + n - sizeof(Word), sizeof(Word));
  p[n + 1] = '"';
  p += n + 2;
  return true;
}

}  // namespace

char* write_json_string(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto plain = [](char c) { return kPlain[static_cast<unsigned char>(c)]; };
  if (write_short_plain<uint64_t>(p, s) || write_short_plain<uint32_t>(p, s)) return p;
  *p++ = '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy the run of characters that need no escaping in one go.
    size_t run = i;
    while (run + 8 <= s.size() && plain_word<uint64_t>(s.data() + run)) run += 8;
    while (run < s.size() && plain(s[run])) ++run;
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

namespace {

// The 8 decimal digits of v (< 10^8), leading zeros included, as the bytes
// of a little-endian word (the first digit in the lowest byte), each digit
// its value 0-9 (not yet ASCII). All 8 at once in a few multiplies
// (SWAR): the halves split into 4-digit lanes, each into 2-digit lanes,
// each into digits; a quotient by 100 or 10 of a lane's small value is
// exact as a multiply and shift.
[[gnu::always_inline]] inline uint64_t digits8(uint32_t v) {
  const uint64_t hi = v / 10'000, lo = v % 10'000;
  uint64_t x = hi | (lo << 32);                                  // 2 lanes of 0-9999
  uint64_t q = ((x * 10'486) >> 20) & 0x0000'007f'0000'007fULL;  // each / 100
  x = q | ((x - 100 * q) << 16);                                 // 4 lanes of 0-99
  q = ((x * 103) >> 10) & 0x000f'000f'000f'000fULL;              // each / 10
  return q | ((x - 10 * q) << 8);                                // 8 lanes of 0-9
}

constexpr uint64_t kAsciiZeros = 0x3030'3030'3030'3030ULL;

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
