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

// Whether `text` is valid UTF-8 within `max` bytes, without changing it.
bool clean_text(std::string_view text, size_t max) {
  const size_t n = text.size();
  return n == 0 || (n <= kShortText && short_ascii(text.data(), n)) ||
         (n <= max && utf8::is_valid(text));
}

// A side's identity made valid within the limits: replaced by a cleaned,
// interned copy, only when one of its fields needs it (identities come
// from the Kubernetes model or a decoded batch, almost always clean).
void clean_identity(PodIdentityRef& ref, TextSide side) {
  if (!ref) return;
  bool clean = true;
  for (const TextField& f : kRecordTextFields)
    if (f.side == side && !clean_text((*ref).*f.part, f.max_bytes)) clean = false;
  if (clean) return;
  PodIdentity copy = *ref;
  for (const TextField& f : kRecordTextFields)
    if (f.side == side) utf8::make_valid(copy.*f.part, f.max_bytes);
  ref = intern(copy);
}

}  // namespace

void clean_record_text(Record& r) {
  // Every record passes here in the capture path, and most of its 11
  // fields are empty: no call for those, nor for short ASCII ones (a
  // method, a short path, a host), which are valid within any limit.
  // Unrolled, each field's place and limit are constants.
#pragma GCC unroll 32
  for (const TextField& f : kRecordTextFields) {
    if (f.side != TextSide::Record) continue;
    std::string& text = r.*f.member;
    const size_t n = text.size();
    if (n == 0 || (n <= kShortText && short_ascii(text.data(), n))) continue;
    utf8::make_valid(text, f.max_bytes);
  }
  clean_identity(r.local_identity, TextSide::Local);
  clean_identity(r.remote_identity, TextSide::Remote);
}

const TextField* oversize_field(const Record& r) {
  for (const TextField& f : kRecordTextFields)
    if (text_of(r, f).size() > f.max_bytes) return &f;
  return nullptr;
}

void set_text(Record& r, const TextField& f, std::string_view value) {
  if (f.side == TextSide::Record) {
    r.*f.member = value;
  } else {
    edit(f.side == TextSide::Local ? r.local_identity : r.remote_identity).*f.part = value;
  }
}

}  // namespace loupe
