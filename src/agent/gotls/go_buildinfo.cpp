#include "agent/gotls/go_buildinfo.h"

#include <charconv>
#include <cstring>

namespace loupe::gotls {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderSize = 32;  // magic, pointer size, flags, then two pointers or padding
constexpr uint8_t kFlagBigEndian = 1;
constexpr uint8_t kFlagInlineStrings = 2;  // Go 1.18+: varint-prefixed strings after the header
constexpr uint64_t kMaxVersionLength = 128;

uint64_t read_uint(std::string_view bytes, size_t size, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    size_t at = big_endian ? i : size - 1 - i;
    v = (v << 8) | static_cast<uint8_t>(bytes[at]);
  }
  return v;
}

// A uvarint-prefixed string at the start of `bytes`, as Go's
// encoding/binary writes it; nullopt when cut short or too long.
std::optional<std::string_view> varint_string(std::string_view bytes) {
  uint64_t len = 0;
  size_t i = 0;
  for (int shift = 0; i < bytes.size() && shift < 64; shift += 7) {
    auto b = static_cast<uint8_t>(bytes[i++]);
    len |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) {
      if (len > kMaxVersionLength || len > bytes.size() - i) return std::nullopt;
      return bytes.substr(i, len);
    }
  }
  return std::nullopt;
}

// Go < 1.18: the first pointer is the address of runtime.buildVersion, a
// Go string header (data pointer, length).
std::string pointed_version(std::string_view section, size_t ptr_size, bool big_endian,
                            const ReadAt& read_at) {
  if (!read_at) return {};
  uint64_t header_addr = read_uint(section.substr(16), ptr_size, big_endian);
  std::string_view header = read_at(header_addr, 2 * ptr_size);
  if (header.size() != 2 * ptr_size) return {};
  uint64_t data = read_uint(header, ptr_size, big_endian);
  uint64_t len = read_uint(header.substr(ptr_size), ptr_size, big_endian);
  if (len == 0 || len > kMaxVersionLength) return {};
  std::string_view text = read_at(data, len);
  return text.size() == len ? std::string(text) : std::string();
}

}  // namespace

std::string go_buildinfo_version(std::string_view section, const ReadAt& read_at) {
  if (section.size() < kHeaderSize || !section.starts_with(kMagic)) return {};
  auto ptr_size = static_cast<uint8_t>(section[kMagic.size()]);
  auto flags = static_cast<uint8_t>(section[kMagic.size() + 1]);
  if (flags & kFlagInlineStrings) {
    auto v = varint_string(section.substr(kHeaderSize));
    return v ? std::string(*v) : std::string();
  }
  if (ptr_size != 4 && ptr_size != 8) return {};
  return pointed_version(section, ptr_size, flags & kFlagBigEndian, read_at);
}

std::optional<GoVersion> parse_go_version(std::string_view version) {
  size_t at = version.find("go1.");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = version.substr(at + 4);
  GoVersion v{1, 0};
  auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), v.minor);
  if (err != std::errc() || end == rest.data() || v.minor < 0) return std::nullopt;
  return v;
}

}  // namespace loupe::gotls
