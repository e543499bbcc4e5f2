#include "agent/profile/eh_pointer.h"

#include <cstring>

namespace loupe::profile {
namespace {

// Formats (low nibble) and applications (bits 4-6); bit 7 is "indirect".
enum : uint8_t {
  kAbsptr = 0x00,
  kUleb128 = 0x01,
  kUdata2 = 0x02,
  kUdata4 = 0x03,
  kUdata8 = 0x04,
  kSleb128 = 0x09,
  kSdata2 = 0x0a,
  kSdata4 = 0x0b,
  kSdata8 = 0x0c,
  kPcrel = 0x10,
  kIndirect = 0x80,
};

template <typename T>
std::optional<EhPointer> fixed(const uint8_t* p, const uint8_t* end) {
  if (end - p < static_cast<ptrdiff_t>(sizeof(T))) return std::nullopt;
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86-64 and arm64 objects are little endian, like the host
  // Signed formats sign-extend, unsigned ones zero-extend.
  return EhPointer{static_cast<uint64_t>(static_cast<int64_t>(v)), p + sizeof(T)};
}

std::optional<EhPointer> leb128(const uint8_t* p, const uint8_t* end, bool is_signed) {
  uint64_t v = 0;
  unsigned shift = 0;
  while (p < end && shift < 64) {
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (is_signed && shift < 64 && (b & 0x40)) v |= ~uint64_t{0} << shift;
      return EhPointer{v, p};
    }
  }
  return std::nullopt;  // ran off the end, or longer than 64 bits
}

}  // namespace

std::optional<EhPointer> decode_eh_pointer(const uint8_t* p, const uint8_t* end, uint8_t encoding,
                                           uint64_t address, bool apply_relative) {
  if (encoding == kEhPointerOmit || p == nullptr || p >= end) return std::nullopt;
  std::optional<EhPointer> v;
  switch (encoding & 0x0f) {
    case kAbsptr:
      v = fixed<uint64_t>(p, end);
      break;
    case kUleb128:
      v = leb128(p, end, false);
      break;
    case kUdata2:
      v = fixed<uint16_t>(p, end);
      break;
    case kUdata4:
      v = fixed<uint32_t>(p, end);
      break;
    case kUdata8:
      v = fixed<uint64_t>(p, end);
      break;
    case kSleb128:
      v = leb128(p, end, true);
      break;
    case kSdata2:
      v = fixed<int16_t>(p, end);
      break;
    case kSdata4:
      v = fixed<int32_t>(p, end);
      break;
    case kSdata8:
      v = fixed<int64_t>(p, end);
      break;
    default:
      return std::nullopt;
  }
  if (!v || !apply_relative) return v;
  if (encoding & kIndirect) return std::nullopt;  // a pointer to the value, in memory
  switch (encoding & 0x70) {
    case 0:
      return v;
    case kPcrel:
      v->value += address;
      return v;
    default:
      return std::nullopt;
  }
}

}  // namespace loupe::profile
