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

  // The function containing `addr` ("name" or "name [module]"); empty when
  // none (below the first symbol, or no symbols at all).
  std::string_view lookup(uint64_t addr) const;

  size_t size() const { return symbols_.size(); }
  uint64_t malformed() const { return malformed_; }
  size_t bytes() const { return symbols_.capacity() * sizeof(Symbol) + names_.capacity(); }

 private:
  struct Symbol {
    uint64_t addr;
    uint32_t name_offset;
    uint32_t name_size;
  };
  std::vector<Symbol> symbols_;  // sorted by address
  std::string names_;
  uint64_t malformed_ = 0;
};

}  // namespace loupe::profile
