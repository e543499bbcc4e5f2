#include "agent/profile/cfi_program.h"

#include <cstring>
#include <limits>

#include "agent/profile/eh_pointer.h"

namespace loupe::profile {
namespace {

// DWARF register numbers of x86-64 (System V psABI, figure 3.36).
constexpr uint64_t kRbp = 6;
constexpr uint64_t kRsp = 7;
constexpr uint64_t kReturnAddress = 16;

// DW_CFA_* (DWARF 5 section 7.24); the first three carry an operand in
// their low 6 bits.
enum : uint8_t {
  kAdvanceLoc = 0x40,
  kOffset = 0x80,
  kRestore = 0xc0,
  kNop = 0x00,
  kSetLoc = 0x01,
  kAdvanceLoc1 = 0x02,
  kAdvanceLoc2 = 0x03,
  kAdvanceLoc4 = 0x04,
  kOffsetExtended = 0x05,
  kRestoreExtended = 0x06,
  kUndefined = 0x07,
  kSameValue = 0x08,
  kRegister = 0x09,
  kRememberState = 0x0a,
  kRestoreState = 0x0b,
  kDefCfa = 0x0c,
  kDefCfaRegister = 0x0d,
  kDefCfaOffset = 0x0e,
  kDefCfaExpression = 0x0f,
  kExpression = 0x10,
  kOffsetExtendedSf = 0x11,
  kDefCfaSf = 0x12,
  kDefCfaOffsetSf = 0x13,
  kValOffset = 0x14,
  kValOffsetSf = 0x15,
  kValExpression = 0x16,
  kMipsAdvanceLoc8 = 0x1d,
  kGnuArgsSize = 0x2e,
  kGnuNegativeOffsetExtended = 0x2f,
};

// DW_OP_* the recognised expressions use.
enum : uint8_t {
  kOpPlusUconst = 0x23,
  kOpBreg0 = 0x70,
  kOpBreg31 = 0x8f,
  kOpBregx = 0x92,
};

// Reads instructions, failing on anything past the end.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint64_t uleb() { return leb(0x01); }
  int64_t sleb() { return static_cast<int64_t>(leb(0x09)); }
  uint64_t leb(uint8_t encoding) {
    auto v = ok ? decode_eh_pointer(p, end, encoding, 0, false) : std::nullopt;
    if (!v) {
      ok = false;
      return 0;
    }
    p = v->next;
    return v->value;
  }
  template <typename T>
  uint64_t fixed() {
    if (!ok || end - p < static_cast<ptrdiff_t>(sizeof(T))) {
      ok = false;
      return 0;
    }
    T v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  // A DW_FORM_block: its length, then its bytes.
  const uint8_t* block(const uint8_t** block_end) {
    uint64_t n = uleb();
    if (!ok || n > static_cast<uint64_t>(end - p)) {
      ok = false;
      return nullptr;
    }
    const uint8_t* at = p;
    p += n;
    *block_end = p;
    return at;
  }
};

// The rule a register-setting instruction gives `reg` (only RBP's and the
// return address's are kept).
CfiRegister* tracked(CfiState& s, uint64_t reg) {
  return reg == kRbp ? &s.rbp : reg == kReturnAddress ? &s.ra : nullptr;
}

// DW_CFA_restore: `reg` back to the rule the FDE started with.
void restore(CfiState& s, const CfiState& initial, uint64_t reg) {
  if (reg == kRbp) s.rbp = initial.rbp;
  if (reg == kReturnAddress) s.ra = initial.ra;
}

void set(CfiState& s, uint64_t reg, CfiRegister::Rule rule, int64_t offset = 0,
         const uint8_t* expr = nullptr, const uint8_t* expr_end = nullptr) {
  if (CfiRegister* r = tracked(s, reg)) *r = CfiRegister{rule, offset, expr, expr_end};
}

// Runs [r.p, r.end) on `state`. With `initial` null (a CIE's own
// instructions) an advance or a restore is malformed, as in libdw. Calls
// `advance(loc)` at each advance, after which it returns false to stop.
template <typename Advance>
bool run(const CfiCie& cie, const CfiState* initial, const CfiOrigin& where, Reader& r,
         CfiState& state, uint64_t loc, Advance&& advance) {
  std::vector<CfiState> remembered;
  auto moved = [&](uint64_t to) {
    loc = to;
    return initial != nullptr && advance(loc);
  };
  while (r.ok && r.p < r.end) {
    uint8_t op = *r.p++;
    uint8_t low = op & 0x3f;
    switch (op & 0xc0) {
      case kAdvanceLoc:
        if (!moved(loc + low * cie.code_align)) return r.ok && initial != nullptr;
        continue;
      case kOffset:
        set(state, low, CfiRegister::Rule::kOffset,
            static_cast<int64_t>(r.uleb() * static_cast<uint64_t>(cie.data_align)));
        continue;
      case kRestore:
        if (!initial) return false;
        restore(state, *initial, low);
        continue;
    }
    switch (op) {
      case kNop:
        break;
      case kSetLoc: {
        uint64_t at = where.section_addr + static_cast<uint64_t>(r.p - where.section);
        auto v = decode_eh_pointer(r.p, r.end, cie.fde_encoding, at);
        if (!v) return false;
        r.p = v->next;
        if (!moved(v->value)) return r.ok && initial != nullptr;
        break;
      }
      case kAdvanceLoc1:
      case kAdvanceLoc2:
      case kAdvanceLoc4:
      case kMipsAdvanceLoc8: {
        uint64_t delta = op == kAdvanceLoc1   ? r.fixed<uint8_t>()
                         : op == kAdvanceLoc2 ? r.fixed<uint16_t>()
                         : op == kAdvanceLoc4 ? r.fixed<uint32_t>()
                                              : r.fixed<uint64_t>();
        if (!r.ok) return false;
        if (!moved(loc + delta * cie.code_align)) return r.ok && initial != nullptr;
        break;
      }
      case kOffsetExtended: {
        uint64_t reg = r.uleb();
        set(state, reg, CfiRegister::Rule::kOffset,
            static_cast<int64_t>(r.uleb() * static_cast<uint64_t>(cie.data_align)));
        break;
      }
      case kOffsetExtendedSf:
      case kGnuNegativeOffsetExtended: {
        uint64_t reg = r.uleb();
        int64_t factored = op == kOffsetExtendedSf ? r.sleb() : -static_cast<int64_t>(r.uleb());
        set(state, reg, CfiRegister::Rule::kOffset,
            static_cast<int64_t>(static_cast<uint64_t>(factored) *
                                 static_cast<uint64_t>(cie.data_align)));
        break;
      }
      case kRestoreExtended: {
        uint64_t reg = r.uleb();
        if (!initial) return false;
        restore(state, *initial, reg);
        break;
      }
      case kUndefined:
        set(state, r.uleb(), CfiRegister::Rule::kUndefined);
        break;
      case kSameValue:
        set(state, r.uleb(), CfiRegister::Rule::kSameValue);
        break;
      case kRegister:   // another register's value: one operand (a register)
      case kValOffset:  // a value, not where it is saved: one operand
      case kValOffsetSf: {
        uint64_t reg = r.uleb();
        r.uleb();  // an SLEB128 is as long as the ULEB128 of its bytes
        set(state, reg, CfiRegister::Rule::kOther);
        break;
      }
      case kExpression:
      case kValExpression: {
        uint64_t reg = r.uleb();
        const uint8_t* expr_end = nullptr;
        const uint8_t* expr = r.block(&expr_end);
        if (op == kExpression)
          set(state, reg, CfiRegister::Rule::kExpression, 0, expr, expr_end);
        else
          set(state, reg, CfiRegister::Rule::kOther);
        break;
      }
      case kRememberState:
        remembered.push_back(state);
        break;
      case kRestoreState:
        if (remembered.empty()) return false;
        state = remembered.back();
        remembered.pop_back();
        break;
      case kDefCfa:
      case kDefCfaSf: {
        uint64_t reg = r.uleb();
        int64_t offset = op == kDefCfa
                             ? static_cast<int64_t>(r.uleb())
                             : static_cast<int64_t>(static_cast<uint64_t>(r.sleb()) *
                                                    static_cast<uint64_t>(cie.data_align));
        state.cfa = CfiState::Cfa::kRegister;
        state.cfa_register = reg;
        state.cfa_offset = offset;
        break;
      }
      case kDefCfaRegister:
        state.cfa_register = r.uleb();
        if (state.cfa != CfiState::Cfa::kRegister) state.cfa = CfiState::Cfa::kInvalid;
        break;
      case kDefCfaOffset:
      case kDefCfaOffsetSf:
        state.cfa_offset = op == kDefCfaOffset
                               ? static_cast<int64_t>(r.uleb())
                               : static_cast<int64_t>(static_cast<uint64_t>(r.sleb()) *
                                                      static_cast<uint64_t>(cie.data_align));
        if (state.cfa != CfiState::Cfa::kRegister) state.cfa = CfiState::Cfa::kInvalid;
        break;
      case kDefCfaExpression:
        state.cfa_expr = r.block(&state.cfa_expr_end);
        state.cfa = CfiState::Cfa::kExpression;
        break;
      case kGnuArgsSize:
        r.uleb();
        break;
      default:  // DW_CFA_GNU_window_save (SPARC, arm64) and unknown ones
        return false;
    }
  }
  return r.ok;
}

// The expression is one DW_OP_bregN or DW_OP_bregx: its register and offset.
bool one_breg(const uint8_t* p, const uint8_t* end, uint64_t* reg, int64_t* offset) {
  if (p >= end) return false;
  Reader r{p + 1, end};
  if (*p >= kOpBreg0 && *p <= kOpBreg31) {
    *reg = *p - kOpBreg0;
  } else if (*p == kOpBregx) {
    *reg = r.uleb();
  } else {
    return false;
  }
  *offset = r.sleb();
  return r.ok && r.p == end;
}

// ld's and GCC's rule for a PLT entry: DW_OP_breg7 (rsp) N; DW_OP_breg16
// (rip) 0; DW_OP_lit15; DW_OP_and; DW_OP_lit11; DW_OP_ge; DW_OP_lit3;
// DW_OP_shl; DW_OP_plus. N in `offset`.
bool plt_expression(const uint8_t* p, const uint8_t* end, int32_t* offset) {
  if (p >= end || *p != kOpBreg0 + kRsp) return false;
  Reader r{p + 1, end};
  int64_t n = r.sleb();
  static constexpr uint8_t kRest[] = {
      kOpBreg0 + kReturnAddress, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22};
  if (!r.ok || end - r.p != sizeof(kRest) || std::memcmp(r.p, kRest, sizeof(kRest)) != 0)
    return false;
  *offset = static_cast<int32_t>(n);
  return true;
}

bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}
bool fits_int16(int64_t v) {
  return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
}

loupe_unwind_row unsupported_row() {
  loupe_unwind_row r{};
  r.cfa_rule = LOUPE_UNWIND_CFA_UNSUPPORTED;
  return r;
}

// The row for `s`, as the BPF program follows it.
loupe_unwind_row row_of(const CfiCie& cie, const CfiState& s) {
  if (cie.return_register != kReturnAddress || cie.signal_frame) return unsupported_row();
  loupe_unwind_row r{};
  // The return address: at CFA - 8, or undefined in the outermost frame.
  if (s.ra.rule == CfiRegister::Rule::kUndefined) {
    r.cfa_rule = LOUPE_UNWIND_CFA_END;
    return r;
  }
  if (s.ra.rule != CfiRegister::Rule::kOffset || s.ra.offset != -8) return unsupported_row();

  uint64_t reg = 0;
  int64_t offset = 0;
  int32_t plt = 0;
  bool is_register = s.cfa == CfiState::Cfa::kRegister;
  if (is_register) {
    reg = s.cfa_register;
    offset = s.cfa_offset;
  }
  if (s.cfa == CfiState::Cfa::kExpression && one_breg(s.cfa_expr, s.cfa_expr_end, &reg, &offset))
    is_register = true;
  if (is_register && (reg == kRsp || reg == kRbp) && fits_int32(offset)) {
    r.cfa_rule = reg == kRsp ? LOUPE_UNWIND_CFA_RSP : LOUPE_UNWIND_CFA_RBP;
    r.cfa_offset = static_cast<int32_t>(offset);
  } else if (s.cfa == CfiState::Cfa::kExpression &&
             plt_expression(s.cfa_expr, s.cfa_expr_end, &plt)) {
    r.cfa_rule = LOUPE_UNWIND_CFA_PLT;
    r.cfa_offset = plt;
  } else {
    return unsupported_row();
  }

  // The caller's RBP: unchanged, saved at CFA + offset, or lost.
  r.rbp_rule = LOUPE_UNWIND_RBP_UNDEFINED;
  const CfiRegister& rbp = s.rbp;
  int64_t saved = 0;
  bool at_cfa = false;
  if (rbp.rule == CfiRegister::Rule::kOffset) {
    saved = rbp.offset;
    at_cfa = saved != 0;  // CFA + 0 is libdw's one-operation form: not taken
  } else if (rbp.rule == CfiRegister::Rule::kExpression && rbp.expr < rbp.expr_end &&
             *rbp.expr == kOpPlusUconst) {
    Reader e{rbp.expr + 1, rbp.expr_end};
    saved = static_cast<int64_t>(e.uleb());
    at_cfa = e.ok && e.p == rbp.expr_end;
  }
  if (rbp.rule == CfiRegister::Rule::kSameValue) {
    r.rbp_rule = LOUPE_UNWIND_RBP_UNCHANGED;
  } else if (at_cfa && fits_int16(saved)) {
    r.rbp_rule = LOUPE_UNWIND_RBP_AT_CFA;
    r.rbp_offset = static_cast<int16_t>(saved);
  }
  return r;
}

}  // namespace

std::optional<CfiState> cfi_initial_state(const CfiCie& cie, const CfiOrigin& where) {
  CfiState s;  // the x86-64 ABI's: RBP and the return address "same value"
  Reader r{cie.initial, cie.initial_end};
  if (!run(cie, nullptr, where, r, s, 0, [](uint64_t) { return true; })) return std::nullopt;
  return s;
}

bool cfi_fde_rows(const CfiCie& cie, const CfiState& initial, const CfiOrigin& where,
                  const uint8_t* program, const uint8_t* end, uint64_t lo, uint64_t hi,
                  std::vector<CfiRow>& out) {
  CfiState state = initial;
  uint64_t row_pc = lo;
  // A row holds from row_pc to the first advance past it.
  auto advance = [&](uint64_t loc) {
    if (loc <= row_pc) return true;
    out.push_back({row_pc, row_of(cie, state)});
    row_pc = loc;
    return loc < hi;
  };
  Reader r{program, end};
  if (!run(cie, &initial, where, r, state, lo, advance)) {
    if (row_pc < hi) out.push_back({row_pc, unsupported_row()});
    return false;
  }
  if (row_pc < hi) out.push_back({row_pc, row_of(cie, state)});
  return true;
}

}  // namespace loupe::profile
