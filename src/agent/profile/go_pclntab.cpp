#include "agent/profile/go_pclntab.h"

#include <algorithm>
#include <cstring>

namespace loupe::profile {
namespace {

constexpr uint32_t kMagicGo116 = 0xfffffffa;
constexpr uint32_t kMagicGo118 = 0xfffffff0;
constexpr uint32_t kMagicGo120 = 0xfffffff1;  // the 1.18 layout, new meaning of funcID
constexpr size_t kMaxName = 4096;             // longer is corrupt (or not worth showing)

// Unsigned integers of 4 or 8 bytes at an offset of the section, in its
// byte order; every read is bounds-checked.
class Reader {
 public:
  Reader(std::string_view data, bool big_endian) : data_(data), big_endian_(big_endian) {}

  bool fits(uint64_t offset, uint64_t size) const {
    return offset <= data_.size() && data_.size() - offset >= size;
  }
  bool read(uint64_t offset, unsigned size, uint64_t* out) const {
    if (!fits(offset, size)) return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
      auto byte = static_cast<uint8_t>(data_[offset + (big_endian_ ? i : size - 1 - i)]);
      v = v << 8 | byte;
    }
    *out = v;
    return true;
  }
  // The NUL-terminated string at `offset`; empty when it runs off the end.
  std::string_view c_string(uint64_t offset) const {
    if (offset >= data_.size()) return {};
    std::string_view rest = data_.substr(offset, kMaxName + 1);
    size_t nul = rest.find('\0');
    return nul == std::string_view::npos ? std::string_view{} : rest.substr(0, nul);
  }

 private:
  std::string_view data_;
  bool big_endian_;
};

uint32_t load32(std::string_view bytes, bool big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(bytes[big_endian ? i : 3 - i]);
  return v;
}

}  // namespace

std::vector<GoFunction> read_go_pclntab(std::string_view section, uint64_t text_address,
                                        std::string* error) {
  // pcHeader: magic, two zero bytes, instruction quantum, pointer size,
  // then pointer-sized words.
  if (section.size() < 8 || section[4] != 0 || section[5] != 0) {
    *error = "not a Go pclntab";
    return {};
  }
  auto quantum = static_cast<uint8_t>(section[6]);
  auto ptr_size = static_cast<uint8_t>(section[7]);
  if ((quantum != 1 && quantum != 2 && quantum != 4) || (ptr_size != 4 && ptr_size != 8)) {
    *error = "not a Go pclntab";
    return {};
  }
  bool big_endian = false;
  uint32_t magic = load32(section, false);
  auto known = [](uint32_t m) { return m == kMagicGo116 || m == kMagicGo118 || m == kMagicGo120; };
  if (!known(magic)) {
    big_endian = true;
    magic = load32(section, true);
  }
  if (!known(magic)) {
    *error = "Go pclntab of a version before 1.16, or not one";
    return {};
  }
  bool go118 = magic != kMagicGo116;
  Reader r(section, big_endian);
  auto word = [&](unsigned i, uint64_t* out) {
    return r.read(8 + uint64_t{i} * ptr_size, ptr_size, out);
  };
  // Go 1.18 added textStart as word 2, moving the offsets after it by one.
  uint64_t nfunc = 0, funcnames = 0, functab = 0;
  if (!word(0, &nfunc) || !word(go118 ? 3 : 2, &funcnames) || !word(go118 ? 7 : 6, &functab)) {
    *error = "Go pclntab header cut short";
    return {};
  }
  if (funcnames > section.size()) {
    *error = "Go pclntab name table outside the section";
    return {};
  }
  // functab: nfunc (entry, _func offset) pairs and the end of the last
  // function; fields of 4 bytes (1.18+: entry relative to runtime.text) or
  // a pointer (1.16: absolute entry).
  unsigned field = go118 ? 4 : ptr_size;
  uint64_t base = go118 ? text_address : 0;
  if (!r.fits(functab, 0) || nfunc > (section.size() - functab) / (2 * field) ||
      !r.fits(functab, (2 * nfunc + 1) * field)) {
    *error = "Go pclntab function table outside the section";
    return {};
  }
  // _func starts with the entry (4 bytes since 1.18, a pointer before),
  // then nameOff, an offset into the function name table.
  unsigned name_field = go118 ? 4 : ptr_size;
  std::vector<GoFunction> out;
  out.reserve(nfunc);
  for (uint64_t i = 0; i < nfunc; ++i) {
    uint64_t entry = 0, func_offset = 0, end = 0, name_offset = 0;
    uint64_t at = functab + 2 * i * field;
    if (!r.read(at, field, &entry) || !r.read(at + field, field, &func_offset) ||
        !r.read(at + 2 * field, field, &end))
      break;
    if (func_offset > section.size() - functab ||
        !r.read(functab + func_offset + name_field, 4, &name_offset) ||
        name_offset > section.size())
      continue;
    std::string_view name = r.c_string(funcnames + name_offset);
    if (name.empty() || end <= entry) continue;
    out.push_back({base + entry, base + end, name});
  }
  std::sort(out.begin(), out.end(),
            [](const GoFunction& a, const GoFunction& b) { return a.entry < b.entry; });
  if (out.empty()) *error = "Go pclntab without functions";
  return out;
}

}  // namespace loupe::profile
