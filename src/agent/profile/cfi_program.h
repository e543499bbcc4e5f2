// Runs the call frame instructions of one CIE and FDE (DWARF 5 section
// 6.4; .eh_frame's variant, LSB "Exception Frames") in one pass and gives
// the rule of each address range as the BPF unwinder's compact row
// (bpf/profile.h): the CFA as RSP or RBP + offset or the PLT expression,
// the caller's RBP, the return address at CFA - 8 or the end of the
// stack. libdw's dwarf_cfi_addrframe, used before, ran an FDE's
// instructions again from its start for every row, with a tree lookup and
// an allocation each: 43 ms of CPU for `loupe`'s own 85k rows, most of the
// profiler's cost on a host that starts programs (docs/benchmarks.md,
// "issue 14, profcost"). The rows are libdw's, rule for rule, including
// its x86-64 ABI defaults (RBP and the return address "same value" until
// the CIE says otherwise); tests/unit/profile/unwind_table_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "profile.h"

namespace loupe::profile {

// What an FDE's instructions start from.
struct CfiCie {
  const uint8_t* initial = nullptr;  // its initial instructions
  const uint8_t* initial_end = nullptr;
  uint64_t code_align = 1;
  int64_t data_align = 1;
  uint64_t return_register = 16;  // x86-64's return address (RIP)
  uint8_t fde_encoding = 0;       // DW_EH_PE_* of addresses (DW_CFA_set_loc)
  bool signal_frame = false;      // 'S': every row unsupported
};

// A register's rule, kept for the two registers the rows need.
struct CfiRegister {
  enum class Rule : uint8_t { kUndefined, kSameValue, kOffset, kOther, kExpression };
  Rule rule = Rule::kSameValue;
  int64_t offset = 0;             // kOffset: saved at CFA + offset
  const uint8_t* expr = nullptr;  // kExpression: its bytes
  const uint8_t* expr_end = nullptr;
};

struct CfiState {
  enum class Cfa : uint8_t { kUndefined, kRegister, kExpression, kInvalid };
  Cfa cfa = Cfa::kUndefined;
  uint64_t cfa_register = 0;
  int64_t cfa_offset = 0;
  const uint8_t* cfa_expr = nullptr;
  const uint8_t* cfa_expr_end = nullptr;
  CfiRegister rbp, ra;
};

struct CfiRow {
  uint64_t pc;
  loupe_unwind_row rule;  // its pc not set
};

// Where the instructions are, for DW_CFA_set_loc's pc-relative addresses:
// `section` is the first byte of the section, at `section_addr`.
struct CfiOrigin {
  const uint8_t* section = nullptr;
  uint64_t section_addr = 0;
};

// The state an FDE of `cie` starts from: the ABI's defaults, then the
// CIE's initial instructions. nullopt when those are malformed.
std::optional<CfiState> cfi_initial_state(const CfiCie& cie, const CfiOrigin& where);

// Appends to `out` the rows of the FDE covering [lo, hi) whose
// instructions are [program, end), in address order, one per range the
// instructions advance to. False when they are malformed: the last row
// then marks, at the range the fault was found in, a rule the program
// cannot follow (as libdw fails there), and the rest is not read.
bool cfi_fde_rows(const CfiCie& cie, const CfiState& initial, const CfiOrigin& where,
                  const uint8_t* program, const uint8_t* end, uint64_t lo, uint64_t hi,
                  std::vector<CfiRow>& out);

}  // namespace loupe::profile
