// Kernel function names from the text of /proc/kallsyms. Readable by root;
// other users see zero addresses (kptr_restrict), and then nothing resolves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

class KernelSymbols {
 public:
  // Keeps the text (function) symbols of `text`; malformed lines are
  // skipped and counted.
  static KernelSymbols parse(std::string_view text);
  // The same from the file at `path` (/proc/kallsyms), read a block at a
  // time: its text (5 MB for 122k functions) is never held whole, nor the
  // names in a buffer that doubles (read whole, both together made a
  // ~20 MiB spike in the agent's heap on its first kernel frame;
  // docs/benchmarks.md, "issue 14, agentrss2"). Empty when unreadable.
  static KernelSymbols read(const std::string& path);

  // The function containing `addr` ("name" or "name [module]"; of several
  // names of one address, the first listed); empty when none (below the
  // first symbol, or no symbols at all).
  std::string_view lookup(uint64_t addr) const;

  size_t size() const { return symbols_.size(); }
  uint64_t malformed() const { return malformed_; }
  size_t bytes() const;

 private:
  struct Symbol {
    uint64_t addr;
    uint32_t name_at;  // block index << kBlockBits | offset in the block
    uint32_t name_size;
  };
  // Names live in fixed blocks, filled in turn and never moved.
  static constexpr uint32_t kBlockBits = 18;  // 256 KiB
  static constexpr size_t kBlockBytes = size_t{1} << kBlockBits;

  void add_line(std::string_view line);
  // Appends `name`, then " " and `module` when there is one, to the name
  // blocks; false when the names are full (4 GiB).
  bool add_name(std::string_view name, std::string_view module, uint32_t* at);
  void finish();

  std::vector<Symbol> symbols_;  // sorted by address
  std::vector<std::string> blocks_;
  uint64_t malformed_ = 0;
};

}  // namespace loupe::profile
