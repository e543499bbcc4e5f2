#include "core/record_limits.h"

#include <cstdint>
#include <cstring>

#include "core/utf8.h"

namespace loupe {
namespace {

// Whether the `n` bytes at `s` (1..16) are all ASCII, read as two words
// that may overlap (ASCII is valid UTF-8).
bool short_ascii(const char* s, size_t n) {
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x = 0, y = 0;
    std::memcpy(&x, s, 4);
    std::memcpy(&y, s + n - 4, 4);
    a = x;
    b = y;
  } else {
    for (size_t i = 0; i < n; ++i) a |= static_cast<unsigned char>(s[i]);
  }
  return ((a | b) & 0x8080808080808080ULL) == 0;
}

constexpr size_t kShortText = 16;
constexpr bool short_text_fits_every_field() {
  for (const TextField& f : kRecordTextFields)
    if (f.max_bytes < kShortText) return false;
  return true;
}
static_assert(short_text_fits_every_field());

}  // namespace

void clean_record_text(Record& r) {
  // Every record passes here in the capture path, and most of its 21
  // fields are empty: no call for those, nor for short ASCII ones (a
  // method, a short path, a host), which are valid within any limit.
  // Unrolled, each field's place and limit are constants.
#pragma GCC unroll 32
  for (const TextField& f : kRecordTextFields) {
    std::string& text = r.*f.member;
    const size_t n = text.size();
    if (n == 0 || (n <= kShortText && short_ascii(text.data(), n))) continue;
    utf8::make_valid(text, f.max_bytes);
  }
}

const TextField* oversize_field(const Record& r) {
  for (const TextField& f : kRecordTextFields)
    if ((r.*f.member).size() > f.max_bytes) return &f;
  return nullptr;
}

}  // namespace loupe
