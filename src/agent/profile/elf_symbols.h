// Function symbols of one ELF file (.symtab and .dynsym, read with
// elfutils' libelf) and its loadable segments, to name an address given as
// an offset in the file. Names are kept as in the file (mangled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

class ElfSymbols {
 public:
  // Reads the file open at `fd`. nullopt with *error when it is not an ELF
  // file libelf can read (truncated, corrupt, not ELF).
  static std::optional<ElfSymbols> load(int fd, std::string* error);
  // The same from bytes in memory (tests, fuzzing).
  static std::optional<ElfSymbols> load(std::string_view bytes, std::string* error);

  // The GNU build id of the file at `fd` as hex; empty when it has none or
  // is unreadable.
  static std::string build_id(int fd);

  // The function containing the address at `file_offset`; empty when no
  // symbol covers it (stripped binary, or an offset outside its code).
  std::string_view lookup(uint64_t file_offset) const;

  const std::string& id() const { return build_id_; }
  size_t size() const { return symbols_.size(); }
  // Memory held, for the symbol cache's byte budget.
  size_t bytes() const {
    return sizeof(*this) + symbols_.capacity() * sizeof(Symbol) +
           segments_.capacity() * sizeof(Segment) + names_.capacity() + build_id_.capacity();
  }

 private:
  struct Symbol {
    uint64_t addr;
    uint64_t size;
    uint32_t name_offset;
    uint32_t name_size;
  };
  struct Segment {  // a PT_LOAD program header
    uint64_t offset, vaddr, filesz;
  };
  static std::optional<ElfSymbols> from_elf(void* elf, std::string* error);

  std::vector<Symbol> symbols_;  // sorted by address, one per address
  std::vector<Segment> segments_;
  std::string names_;
  std::string build_id_;
};

}  // namespace loupe::profile
