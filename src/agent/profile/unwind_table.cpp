#include "agent/profile/unwind_table.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>

#include "agent/elf_handle.h"
#include "agent/profile/eh_pointer.h"
#include "core/burst_yield.h"

namespace loupe::profile {
namespace {

// DWARF register numbers of x86-64 (System V psABI, figure 3.36).
constexpr int kRbp = 6;
constexpr int kRsp = 7;
constexpr int kReturnAddress = 16;  // RIP

struct DwarfEnd {
  void operator()(Dwarf* d) const { dwarf_end(d); }
};
struct CfiEnd {
  void operator()(Dwarf_CFI* c) const { dwarf_cfi_end(c); }
};
struct FrameFree {
  void operator()(Dwarf_Frame* f) const { free(f); }  // libdw hands frames out malloc'ed
};

// One call frame section: its bytes, where it is in the address space, and
// libdw's interpreter of it.
struct CfiSection {
  Elf_Data* data = nullptr;
  uint64_t addr = 0;
  bool eh_frame = false;
  Dwarf_CFI* cfi = nullptr;
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

// The FDE pointer encoding a CIE's augmentation declares ('R'); absolute
// without one. nullopt for an augmentation this reader does not know.
std::optional<uint8_t> fde_encoding(const Dwarf_CIE& cie) {
  const char* aug = cie.augmentation;
  if (aug == nullptr) return std::nullopt;
  if (aug[0] == '\0') return uint8_t{0};
  if (aug[0] != 'z') return std::nullopt;  // pre-'z' augmentations ("eh") are long gone
  const uint8_t* p = cie.augmentation_data;
  const uint8_t* end = p ? p + cie.augmentation_data_size : nullptr;
  for (const char* c = aug + 1; *c; ++c) {
    switch (*c) {
      case 'R':
        if (p >= end) return std::nullopt;
        return *p;
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
      case 'B':  // arm64 pointer authentication key B: no data
        break;
      default:
        return std::nullopt;
    }
  }
  return uint8_t{0};
}

struct FdeRange {
  uint64_t lo, hi;
};

// Every FDE's [initial location, + address range) in the section.
std::vector<FdeRange> fde_ranges(Elf* elf, const CfiSection& s, UnwindTable& t) {
  std::vector<FdeRange> out;
  const unsigned char* ident = reinterpret_cast<const unsigned char*>(elf_getident(elf, nullptr));
  if (!ident) return out;
  std::map<Dwarf_Off, std::optional<uint8_t>> cies;
  auto encoding_of = [&](Dwarf_Off cie_offset) -> std::optional<uint8_t> {
    auto it = cies.find(cie_offset);
    if (it != cies.end()) return it->second;
    Dwarf_CFI_Entry e;
    Dwarf_Off next = 0;
    std::optional<uint8_t> enc;
    if (dwarf_next_cfi(ident, s.data, s.eh_frame, cie_offset, &next, &e) == 0 &&
        dwarf_cfi_cie_p(&e))
      enc = fde_encoding(e.cie);
    return cies.emplace(cie_offset, enc).first->second;
  };
  const auto* base = static_cast<const uint8_t*>(s.data->d_buf);
  Dwarf_Off offset = 0, next = 0;
  Dwarf_CFI_Entry e;
  while (dwarf_next_cfi(ident, s.data, s.eh_frame, offset, &next, &e) == 0) {
    offset = next;
    if (dwarf_cfi_cie_p(&e)) {
      continue;
    }
    ++t.fdes;
    std::optional<uint8_t> enc = encoding_of(e.fde.CIE_pointer);
    std::optional<EhPointer> lo, range;
    if (enc) lo = decode_eh_pointer(e.fde.start, e.fde.end, *enc, s.addr + (e.fde.start - base));
    if (lo) range = decode_eh_pointer(lo->next, e.fde.end, *enc & 0x0f, 0, false);
    if (!range || range->value == 0 || lo->value + range->value < lo->value) {
      ++t.fdes_skipped;
      continue;
    }
    out.push_back({lo->value, lo->value + range->value});
  }
  std::sort(out.begin(), out.end(),
            [](const FdeRange& a, const FdeRange& b) { return a.lo < b.lo; });
  return out;
}

bool is_op(const Dwarf_Op& op, uint8_t atom, int64_t number) {
  return op.atom == atom && static_cast<int64_t>(op.number) == number;
}

// ld's and GCC's rule for a PLT entry: CFA = RSP + 8 + ((RIP & 15) >= 11 ? 8 : 0)
// (the entry pushes its relocation index at offset 6, then jumps at 11).
bool is_plt_expression(const Dwarf_Op* ops, size_t n, int32_t* offset) {
  if (n != 9 || (ops[0].atom != DW_OP_breg7) || !is_op(ops[1], DW_OP_breg16, 0) ||
      ops[2].atom != DW_OP_lit15 || ops[3].atom != DW_OP_and || ops[4].atom != DW_OP_lit11 ||
      ops[5].atom != DW_OP_ge || ops[6].atom != DW_OP_lit3 || ops[7].atom != DW_OP_shl ||
      ops[8].atom != DW_OP_plus)
    return false;
  *offset = static_cast<int32_t>(static_cast<int64_t>(ops[0].number));
  return true;
}

// CFA = register + offset, in either of the forms libdw may use.
bool register_plus_offset(const Dwarf_Op& op, int* reg, int64_t* offset) {
  if (op.atom == DW_OP_bregx) {
    *reg = static_cast<int>(op.number);
    *offset = static_cast<int64_t>(op.number2);
    return true;
  }
  if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
    *reg = op.atom - DW_OP_breg0;
    *offset = static_cast<int64_t>(op.number);
    return true;
  }
  return false;
}

loupe_unwind_row unsupported_row() {
  loupe_unwind_row r{};
  r.cfa_rule = LOUPE_UNWIND_CFA_UNSUPPORTED;
  return r;
}

// The rule libdw computed for one row, as the BPF program's compact form.
loupe_unwind_row row_of(Dwarf_Frame* frame) {
  Dwarf_Addr start = 0, end = 0;
  bool signal = false;
  if (dwarf_frame_info(frame, &start, &end, &signal) != kReturnAddress || signal)
    return unsupported_row();
  Dwarf_Op mem[3];
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  // The return address: at CFA - 8, or undefined in the outermost frame.
  if (dwarf_frame_register(frame, kReturnAddress, mem, &ops, &n) != 0) return unsupported_row();
  loupe_unwind_row r{};
  if (n == 0 && ops != nullptr) {
    r.cfa_rule = LOUPE_UNWIND_CFA_END;
    return r;
  }
  if (n != 2 || ops[0].atom != DW_OP_call_frame_cfa || !is_op(ops[1], DW_OP_plus_uconst, -8))
    return unsupported_row();

  if (dwarf_frame_cfa(frame, &ops, &n) != 0 || n == 0) return unsupported_row();
  int reg = -1;
  int64_t offset = 0;
  int32_t plt_offset = 0;
  if (n == 1 && register_plus_offset(ops[0], &reg, &offset) && (reg == kRsp || reg == kRbp) &&
      offset >= std::numeric_limits<int32_t>::min() &&
      offset <= std::numeric_limits<int32_t>::max()) {
    r.cfa_rule = reg == kRsp ? LOUPE_UNWIND_CFA_RSP : LOUPE_UNWIND_CFA_RBP;
    r.cfa_offset = static_cast<int32_t>(offset);
  } else if (is_plt_expression(ops, n, &plt_offset)) {
    r.cfa_rule = LOUPE_UNWIND_CFA_PLT;
    r.cfa_offset = plt_offset;
  } else {
    return unsupported_row();
  }

  // The caller's RBP: unchanged, saved at CFA + offset, or lost.
  if (dwarf_frame_register(frame, kRbp, mem, &ops, &n) != 0) {
    r.rbp_rule = LOUPE_UNWIND_RBP_UNDEFINED;
  } else if (n == 0) {
    r.rbp_rule = ops == nullptr ? LOUPE_UNWIND_RBP_UNCHANGED : LOUPE_UNWIND_RBP_UNDEFINED;
  } else if (n == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst &&
             static_cast<int64_t>(ops[1].number) >= std::numeric_limits<int16_t>::min() &&
             static_cast<int64_t>(ops[1].number) <= std::numeric_limits<int16_t>::max()) {
    r.rbp_rule = LOUPE_UNWIND_RBP_AT_CFA;
    r.rbp_offset = static_cast<int16_t>(static_cast<int64_t>(ops[1].number));
  } else {
    r.rbp_rule = LOUPE_UNWIND_RBP_UNDEFINED;
  }
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
  t.base = ranges.front().lo;
  uint64_t covered = t.base;  // the end of the last FDE taken
  for (const FdeRange& fde : ranges) {
    burst_point();  // a large program's table: tens of ms (core/burst_yield.h)
    if (fde.lo < covered || fde.hi - t.base > std::numeric_limits<uint32_t>::max()) {
      ++t.fdes_skipped;  // overlaps the previous one, or too far for a 32-bit row pc
      continue;
    }
    if (fde.lo > covered && !t.rows.empty()) push_row(t, covered, no_info_row());
    for (uint64_t pc = fde.lo; pc < fde.hi;) {
      Dwarf_Frame* raw = nullptr;
      if (dwarf_cfi_addrframe(s.cfi, pc, &raw) != 0) {
        push_row(t, pc, unsupported_row());
        ++t.unsupported;
        break;
      }
      std::unique_ptr<Dwarf_Frame, FrameFree> frame(raw);
      Dwarf_Addr start = 0, end = 0;
      dwarf_frame_info(frame.get(), &start, &end, nullptr);
      loupe_unwind_row r = row_of(frame.get());
      if (r.cfa_rule == LOUPE_UNWIND_CFA_UNSUPPORTED) ++t.unsupported;
      push_row(t, pc, r);
      if (end <= pc) break;
      pc = end;
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
  std::unique_ptr<Dwarf, DwarfEnd> dwarf;
  std::unique_ptr<Dwarf_CFI, CfiEnd> eh_cfi;
  if (Elf_Scn* scn = section_named(elf, ".eh_frame", &shdr); scn && shdr.sh_size > 0) {
    s.data = elf_getdata(scn, nullptr);
    s.addr = shdr.sh_addr;
    s.eh_frame = true;
    eh_cfi.reset(dwarf_getcfi_elf(elf));
    s.cfi = eh_cfi.get();
  } else if (Elf_Scn* dscn = section_named(elf, ".debug_frame", &shdr); dscn) {
    s.data = elf_getdata(dscn, nullptr);
    dwarf.reset(dwarf_begin_elf(elf, DWARF_C_READ, nullptr));
    s.cfi = dwarf ? dwarf_getcfi(dwarf.get()) : nullptr;
  }
  if (!s.data || !s.cfi) return fail("no readable .eh_frame or .debug_frame");
  if (!add_rows(s, fde_ranges(elf, s, t), t, max_rows))
    return fail("more than " + std::to_string(max_rows) + " unwind rows");
  if (t.rows.empty()) return fail("no call frame information");
  t.rows.shrink_to_fit();
  return t;
}

}  // namespace

std::optional<UnwindTable> build_unwind_table(int fd, std::string* error, size_t max_rows) {
  ElfPtr elf = open_elf(fd, error);
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
