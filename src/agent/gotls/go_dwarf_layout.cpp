#include "agent/gotls/go_dwarf_layout.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <array>
#include <string_view>

namespace loupe::gotls {
namespace {

struct Field {
  std::string_view type;
  std::string_view member;
  uint32_t GoTlsLayout::*offset;
};

constexpr std::array<Field, 4> kFields{{
    {"crypto/tls.Conn", "conn", &GoTlsLayout::conn},
    {"net.conn", "fd", &GoTlsLayout::fd},
    {"net.netFD", "pfd", &GoTlsLayout::pfd},
    {"internal/poll.FD", "Sysfd", &GoTlsLayout::sysfd},
}};

// Offsets past this are not a struct Loupe expects (and a BPF read past
// them would be a guess).
constexpr Dwarf_Word kMaxOffset = 4096;

struct DwarfHandle {
  Dwarf* dw;
  ~DwarfHandle() {
    if (dw) dwarf_end(dw);
  }
};

// The offset of member `name` of the struct `type_die`.
std::optional<uint32_t> member_offset(Dwarf_Die* type_die, std::string_view name) {
  Dwarf_Die member;
  if (dwarf_child(type_die, &member) != 0) return std::nullopt;
  do {
    const char* n = dwarf_diename(&member);
    if (dwarf_tag(&member) != DW_TAG_member || !n || name != n) continue;
    Dwarf_Attribute attr;
    Dwarf_Word offset = 0;
    if (!dwarf_attr(&member, DW_AT_data_member_location, &attr) ||
        dwarf_formudata(&attr, &offset) != 0 || offset > kMaxOffset)
      return std::nullopt;
    return static_cast<uint32_t>(offset);
  } while (dwarf_siblingof(&member, &member) == 0);
  return std::nullopt;
}

}  // namespace

std::optional<GoTlsLayout> dwarf_go_tls_layout(Elf* elf) {
  DwarfHandle h{dwarf_begin_elf(elf, DWARF_C_READ, nullptr)};
  if (!h.dw) return std::nullopt;
  GoTlsLayout layout;
  layout.source = "dwarf";
  std::array<bool, kFields.size()> found{};
  size_t missing = kFields.size();
  Dwarf_Off offset = 0, next = 0;
  size_t header_size = 0;
  while (missing > 0 &&
         dwarf_nextcu(h.dw, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, die;
    if (dwarf_offdie(h.dw, offset + header_size, &cu) && dwarf_child(&cu, &die) == 0) {
      do {
        if (dwarf_tag(&die) != DW_TAG_structure_type) continue;
        const char* name = dwarf_diename(&die);
        if (!name) continue;
        for (size_t i = 0; i < kFields.size(); ++i) {
          if (found[i] || kFields[i].type != name) continue;
          std::optional<uint32_t> at = member_offset(&die, kFields[i].member);
          if (!at) return std::nullopt;  // the type is there, its field is not: no guessing
          layout.*kFields[i].offset = *at;
          found[i] = true;
          --missing;
        }
      } while (missing > 0 && dwarf_siblingof(&die, &die) == 0);
    }
    offset = next;
  }
  if (missing > 0) return std::nullopt;
  return layout;
}

}  // namespace loupe::gotls
