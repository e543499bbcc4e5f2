// The unwind_rows BPF array (bpf/profile.h), written through the bpf
// syscall in batches instead of mapped into the process: a mapped BPF
// array is resident from the moment it is mapped, 8 MiB of RSS for its
// 512k rows whether used or not (docs/benchmarks.md, issue 14). The kernel
// holds the same 8 MiB either way; what this saves is the process's
// resident set, not the host's memory.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "profile.h"

namespace loupe::profile {

class UnwindRows {
 public:
  UnwindRows(int fd, uint32_t capacity) : fd_(fd), capacity_(capacity) {}

  uint32_t capacity() const { return capacity_; }
  // Writes `rows` at [first, first + rows.size()). False when that is past
  // the capacity or the kernel refused (errno says why).
  bool write(uint32_t first, std::span<const loupe_unwind_row> rows);
  // Moves `count` rows from `from` down to `to` (to <= from), in place.
  bool move_down(uint32_t to, uint32_t from, uint32_t count);
  // Reads `count` rows from `first` into `out` (tests, and move_down).
  bool read(uint32_t first, uint32_t count, std::vector<loupe_unwind_row>& out);

 private:
  // Rows per syscall: 64 KiB of rows and 16 KiB of keys at a time.
  static constexpr uint32_t kChunk = 4096;
  const std::vector<uint32_t>& keys_from(uint32_t first, uint32_t count);

  int fd_;
  uint32_t capacity_;
  std::vector<uint32_t> keys_;
  std::vector<loupe_unwind_row> chunk_;
};

}  // namespace loupe::profile
