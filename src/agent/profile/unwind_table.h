// Unwind rows of one x86-64 ELF object, computed from its .eh_frame (or,
// when it has none, .debug_frame) for the BPF sampler's unwinder (the rows'
// format and meaning: bpf/profile.h). elfutils' libdw lists the CIEs and
// FDEs; cfi_program.h runs each FDE's instructions once into the compact
// rules the BPF program can follow. Only the headers and that section are
// read (elf_handle.h's ElfRead::kSections).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "profile.h"

namespace loupe::profile {

struct UnwindTable {
  // An executable PT_LOAD segment, to place a mapping of the file: an
  // address in a mapping at file offset `offset` + d is at vaddr + d.
  struct Segment {
    uint64_t offset = 0, vaddr = 0, filesz = 0;
  };
  uint64_t base = 0;  // row pcs are ELF virtual addresses minus base
  // Sorted by pc; a row holds until the next one. Gaps between functions
  // get a CFA_NONE row (frame pointer) so no rule leaks past its FDE.
  std::vector<loupe_unwind_row> rows;
  std::vector<Segment> segments;
  uint64_t fdes = 0;          // FDEs read
  uint64_t fdes_skipped = 0;  // FDEs whose range could not be read, or overlapping another
  uint64_t unsupported = 0;   // rows with a rule the BPF program cannot follow

  size_t bytes() const {
    return sizeof(*this) + rows.capacity() * sizeof(loupe_unwind_row) +
           segments.capacity() * sizeof(Segment);
  }
};

// No limit on a table's rows (build_unwind_table's max_rows).
constexpr size_t kAnyRowCount = SIZE_MAX;

// The table of the ELF file open at `fd`. nullopt with *error when the file
// is not a readable x86-64 ELF object, has no call frame information, or
// needs more than `max_rows` rows: the build stops there, so a table the
// caller could not take is never held whole (a compiler's .eh_frame makes
// ~1.6M rows, 25 MiB, and twice that in a growing vector).
std::optional<UnwindTable> build_unwind_table(int fd, std::string* error,
                                              size_t max_rows = kAnyRowCount);
// The same from bytes in memory (tests, fuzzing).
std::optional<UnwindTable> build_unwind_table(std::string_view bytes, std::string* error,
                                              size_t max_rows = kAnyRowCount);

// The row covering `pc` (relative to the table's base), or nullptr. The BPF
// program does the same binary search; this one serves tests and tools.
const loupe_unwind_row* find_unwind_row(const UnwindTable& table, uint64_t pc);

}  // namespace loupe::profile
