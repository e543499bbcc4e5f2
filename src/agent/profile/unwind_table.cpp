#include "agent/profile/unwind_table.h"

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <limits>
#include <map>

#include "agent/elf_handle.h"
#include "agent/profile/cfi_program.h"
#include "agent/profile/eh_pointer.h"
#include "core/burst_yield.h"

namespace loupe::profile {
namespace {

// One call frame section: its bytes and where it is in the address space.
struct CfiSection {
  Elf_Data* data = nullptr;
  uint64_t addr = 0;
  bool eh_frame = false;
};

Elf_Scn* section_named(Elf* elf, std::string_view name, GElf_Shdr* shdr) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    if (!gelf_getshdr(scn, shdr) || shdr->sh_type == SHT_NOBITS) continue;
    const char* n = elf_strptr(elf, shstrndx, shdr->sh_name);
    if (n && name == n) return scn;
  }
  return nullptr;
}

// What a CIE declares for its FDEs: the pointer encoding of their
// addresses ('R'; absolute without one), whether they carry augmentation
// data ('z'), whether they are signal frames ('S'). nullopt for an
// augmentation this reader does not know.
struct CieInfo {
  CfiCie cie;
  bool sized_augmentation = false;
  std::optional<CfiState> initial;  // nullopt: its instructions are malformed
};

std::optional<CieInfo> cie_info(const Dwarf_CIE& cie, const CfiOrigin& where) {
  const char* aug = cie.augmentation;
  if (aug == nullptr) return std::nullopt;
  CieInfo out;
  out.cie.initial = cie.initial_instructions;
  out.cie.initial_end = cie.initial_instructions_end;
  out.cie.code_align = cie.code_alignment_factor;
  out.cie.data_align = cie.data_alignment_factor;
  out.cie.return_register = cie.return_address_register;
  if (aug[0] != '\0') {
    if (aug[0] != 'z') return std::nullopt;  // pre-'z' augmentations ("eh") are long gone
    out.sized_augmentation = true;
    const uint8_t* p = cie.augmentation_data;
    const uint8_t* end = p ? p + cie.augmentation_data_size : nullptr;
    bool saw_encoding = false, unknown = false;
    for (const char* c = aug + 1; *c && !unknown; ++c) {
      switch (*c) {
        case 'R':
          if (p >= end) return std::nullopt;
          out.cie.fde_encoding = *p++;
          saw_encoding = true;
          break;
        case 'L':  // LSDA encoding: one byte
          if (p >= end) return std::nullopt;
          ++p;
          break;
        case 'P': {  // personality: its encoding, then the pointer
          if (p >= end) return std::nullopt;
          uint8_t enc = *p++;
          auto v = decode_eh_pointer(p, end, enc, 0, /*apply_relative=*/false);
          if (!v) return std::nullopt;
          p = v->next;
          break;
        }
        case 'S':  // a signal frame: no data
          out.cie.signal_frame = true;
          break;
        case 'B':  // arm64 pointer authentication key B: no data
          break;
        default:  // unknown: its FDEs are taken once their encoding is known
          if (!saw_encoding) return std::nullopt;
          unknown = true;
          break;
      }
    }
  }
  out.initial = cfi_initial_state(out.cie, where);
  return out;
}

struct FdeRange {
  uint64_t lo, hi;
  const CieInfo* cie;
  const uint8_t* program;  // its instructions
  const uint8_t* program_end;
};

// Every FDE's [initial location, + address range) in the section, with its
// CIE and instructions. `cies` holds the CIEs they point to.
std::vector<FdeRange> fde_ranges(Elf* elf, const CfiSection& s,
                                 std::map<Dwarf_Off, std::optional<CieInfo>>& cies,
                                 UnwindTable& t) {
  std::vector<FdeRange> out;
  const unsigned char* ident = reinterpret_cast<const unsigned char*>(elf_getident(elf, nullptr));
  if (!ident) return out;
  const auto* base = static_cast<const uint8_t*>(s.data->d_buf);
  const CfiOrigin origin{base, s.addr};
  auto cie_at = [&](Dwarf_Off cie_offset) -> const CieInfo* {
    auto it = cies.find(cie_offset);
    if (it == cies.end()) {
      Dwarf_CFI_Entry e;
      Dwarf_Off next = 0;
      std::optional<CieInfo> info;
      if (dwarf_next_cfi(ident, s.data, s.eh_frame, cie_offset, &next, &e) == 0 &&
          dwarf_cfi_cie_p(&e))
        info = cie_info(e.cie, origin);
      it = cies.emplace(cie_offset, std::move(info)).first;
    }
    return it->second ? &*it->second : nullptr;
  };
  Dwarf_Off offset = 0, next = 0;
  Dwarf_CFI_Entry e;
  while (dwarf_next_cfi(ident, s.data, s.eh_frame, offset, &next, &e) == 0) {
    offset = next;
    if (dwarf_cfi_cie_p(&e)) {
      continue;
    }
    ++t.fdes;
    const CieInfo* cie = cie_at(e.fde.CIE_pointer);
    std::optional<EhPointer> lo, range;
    if (cie) {
      uint8_t enc = cie->cie.fde_encoding;
      lo = decode_eh_pointer(e.fde.start, e.fde.end, enc, s.addr + (e.fde.start - base));
      if (lo) range = decode_eh_pointer(lo->next, e.fde.end, enc & 0x0f, 0, false);
    }
    if (!range || range->value == 0 || lo->value + range->value < lo->value) {
      ++t.fdes_skipped;
      continue;
    }
    // The instructions follow the FDE's augmentation data, if its CIE has any.
    const uint8_t* program = range->next;
    if (cie->sized_augmentation) {
      auto length = decode_eh_pointer(program, e.fde.end, 0x01 /* uleb128 */, 0, false);
      program = length && length->value <= static_cast<uint64_t>(e.fde.end - length->next)
                    ? length->next + length->value
                    : nullptr;
    }
    out.push_back({lo->value, lo->value + range->value, cie, program, e.fde.end});
  }
  // In section order where they start alike: the first is taken.
  std::stable_sort(out.begin(), out.end(),
                   [](const FdeRange& a, const FdeRange& b) { return a.lo < b.lo; });
  return out;
}

loupe_unwind_row unsupported_row() {
  loupe_unwind_row r{};
  r.cfa_rule = LOUPE_UNWIND_CFA_UNSUPPORTED;
  return r;
}

bool same_rule(const loupe_unwind_row& a, const loupe_unwind_row& b) {
  return a.cfa_rule == b.cfa_rule && a.cfa_offset == b.cfa_offset && a.rbp_rule == b.rbp_rule &&
         a.rbp_offset == b.rbp_offset;
}

void push_row(UnwindTable& t, uint64_t pc, loupe_unwind_row r) {
  if (!t.rows.empty() && same_rule(t.rows.back(), r)) return;
  if (!t.rows.empty() && t.rows.back().pc == pc - t.base) {
    t.rows.back() = r;  // an empty range before it: this one wins
    t.rows.back().pc = static_cast<uint32_t>(pc - t.base);
    return;
  }
  r.pc = static_cast<uint32_t>(pc - t.base);
  t.rows.push_back(r);
}

loupe_unwind_row no_info_row() { return loupe_unwind_row{}; }

// The rows of every FDE in `ranges`, in address order; false when they
// pass `max_rows` (the rows so far are kept, the rest not built).
bool add_rows(const CfiSection& s, const std::vector<FdeRange>& ranges, UnwindTable& t,
              size_t max_rows) {
  if (ranges.empty()) return true;
  const CfiOrigin origin{static_cast<const uint8_t*>(s.data->d_buf), s.addr};
  std::vector<CfiRow> rows;
  t.base = ranges.front().lo;
  uint64_t covered = t.base;  // the end of the last FDE taken
  for (const FdeRange& fde : ranges) {
    burst_point();  // a large program's table: tens of ms (core/burst_yield.h)
    if (fde.lo < covered || fde.hi - t.base > std::numeric_limits<uint32_t>::max()) {
      ++t.fdes_skipped;  // overlaps the previous one, or too far for a 32-bit row pc
      continue;
    }
    if (fde.lo > covered && !t.rows.empty()) push_row(t, covered, no_info_row());
    rows.clear();
    if (!fde.program || !fde.cie->initial ||
        !cfi_fde_rows(fde.cie->cie, *fde.cie->initial, origin, fde.program, fde.program_end, fde.lo,
                      fde.hi, rows)) {
      // Malformed where the rows end: as libdw, an unsupported rule from
      // there on (from the start when its CIE or augmentation is).
      if (rows.empty()) rows.push_back({fde.lo, unsupported_row()});
    }
    for (const CfiRow& row : rows) {
      if (row.rule.cfa_rule == LOUPE_UNWIND_CFA_UNSUPPORTED) ++t.unsupported;
      push_row(t, row.pc, row.rule);
    }
    covered = fde.hi;
    if (t.rows.size() > max_rows) return false;
  }
  push_row(t, covered, no_info_row());
  return t.rows.size() <= max_rows;
}

void add_segments(Elf* elf, UnwindTable& t) {
  size_t n = 0;
  if (elf_getphdrnum(elf, &n) != 0) return;
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
      t.segments.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz});
  }
}

std::optional<UnwindTable> from_elf(Elf* elf, std::string* error, size_t max_rows) {
  auto fail = [&](std::string why) -> std::optional<UnwindTable> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  GElf_Ehdr eh;
  if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) return fail("not an ELF file");
  if (eh.e_machine != EM_X86_64 || eh.e_ident[EI_CLASS] != ELFCLASS64)
    return fail("not an x86-64 object");
  UnwindTable t;
  add_segments(elf, t);
  CfiSection s;
  GElf_Shdr shdr;
  if (Elf_Scn* scn = section_named(elf, ".eh_frame", &shdr); scn && shdr.sh_size > 0) {
    s.data = elf_getdata(scn, nullptr);
    s.addr = shdr.sh_addr;
    s.eh_frame = true;
  } else if (Elf_Scn* dscn = section_named(elf, ".debug_frame", &shdr); dscn) {
    s.data = elf_getdata(dscn, nullptr);
  }
  if (!s.data || !s.data->d_buf) return fail("no readable .eh_frame or .debug_frame");
  std::map<Dwarf_Off, std::optional<CieInfo>> cies;  // the FDEs point into it
  // About one row per 4-5 bytes of instructions (`loupe` 85k rows from 450
  // KiB): reserved, as the doubling copies were a third of the build.
  t.rows.reserve(
      std::min<size_t>(max_rows == kAnyRowCount ? SIZE_MAX - 1 : max_rows, s.data->d_size / 4) + 1);
  if (!add_rows(s, fde_ranges(elf, s, cies, t), t, max_rows))
    return fail("more than " + std::to_string(max_rows) + " unwind rows");
  if (t.rows.empty()) return fail("no call frame information");
  return t;
}

}  // namespace

std::optional<UnwindTable> build_unwind_table(int fd, std::string* error, size_t max_rows) {
  // Only the call frame section and the headers read (ElfRead::kSections).
  ElfPtr elf = open_elf(fd, error, ElfRead::kSections);
  if (!elf) return std::nullopt;
  return from_elf(elf.get(), error, max_rows);
}

std::optional<UnwindTable> build_unwind_table(std::string_view bytes, std::string* error,
                                              size_t max_rows) {
  std::string buffer;
  ElfPtr elf = open_elf(bytes, buffer, error);
  if (!elf) return std::nullopt;
  return from_elf(elf.get(), error, max_rows);
}

const loupe_unwind_row* find_unwind_row(const UnwindTable& table, uint64_t pc) {
  auto it = std::upper_bound(table.rows.begin(), table.rows.end(), pc,
                             [](uint64_t v, const loupe_unwind_row& r) { return v < r.pc; });
  if (it == table.rows.begin()) return nullptr;
  return &*std::prev(it);
}

}  // namespace loupe::profile
