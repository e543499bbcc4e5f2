// Function symbols of one ELF file and its loadable segments, to name an
// address given as an offset in the file. Symbols come from `.symtab` and
// `.dynsym` (read with elfutils' libelf) and, for a Go binary stripped of
// `.symtab`, from its `.gopclntab` (go_pclntab.h). A binary stripped of
// both names where its separate debug file is (`.note.gnu.build-id`,
// `.gnu_debuglink`); debug_file.h finds and merges it. Names are kept as in
// the file (mangled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

// The `.gnu_debuglink` section: the debug file's name (no directory) and
// the CRC-32 of its whole contents.
struct DebugLink {
  std::string name;
  uint32_t crc = 0;
};

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

  // Adds the symbols of this file's separate debug file (read on its own:
  // its segments are this file's, its code sections empty). On an address
  // both name, the debug file's name is kept.
  void add_symbols_of(const ElfSymbols& debug_file);

  const std::string& id() const { return build_id_; }
  const std::optional<DebugLink>& debuglink() const { return debuglink_; }
  // Whether only a separate debug file can name most of its functions: no
  // `.symtab` (a stripped binary has `.dynsym`, its exported functions, at
  // most) and no Go function table.
  bool wants_debug_file() const { return !has_symtab_ && !has_go_functions_; }
  bool has_go_functions() const { return has_go_functions_; }
  size_t size() const { return symbols_.size(); }
  // Memory held, for the symbol cache's byte budget.
  size_t bytes() const {
    return sizeof(*this) + symbols_.capacity() * sizeof(Symbol) +
           segments_.capacity() * sizeof(Segment) + names_.capacity() + build_id_.capacity() +
           (debuglink_ ? debuglink_->name.capacity() : 0);
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
  // A symbol read, its name where it was read (the file's string table,
  // or another ElfSymbols' names) until finish() copies it.
  struct Found {
    uint64_t addr;
    uint64_t size;
    std::string_view name;
  };
  static std::optional<ElfSymbols> from_elf(void* elf, std::string* error);
  void read_symbol_tables(void* elf, std::vector<Found>& found);
  void read_go_functions(void* elf, std::vector<Found>& found);
  // Keeps the first-found symbol of each address, sorted by address, and
  // their names copied once into a table of the exact size: appended one
  // by one, a growing table copied and faulted in 2-3 times its size (half
  // of the 11 ms `loupe`'s own 12k symbols took to read). The names past
  // 4 GiB are dropped.
  void finish(std::vector<Found>& found);

  std::vector<Symbol> symbols_;  // sorted by address, one per address
  std::vector<Segment> segments_;
  std::string names_;
  std::string build_id_;
  std::optional<DebugLink> debuglink_;
  bool has_symtab_ = false;
  bool has_go_functions_ = false;
};

}  // namespace loupe::profile
