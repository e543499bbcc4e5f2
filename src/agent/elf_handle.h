// libelf handles for the agent's ELF readers (profile symbols, unwind
// tables, Go programs): libelf set up once, every handle closed on every
// path, the same errors everywhere.
#pragma once

#include <libelf.h>

#include <memory>
#include <string>
#include <string_view>

namespace loupe {

struct ElfEnd {
  void operator()(Elf* elf) const { elf_end(elf); }
};
using ElfPtr = std::unique_ptr<Elf, ElfEnd>;

// A read handle over an open file (mapped, not copied); the fd may be
// closed once the handle is gone. Null, with *error set when error is not
// null, when libelf cannot be used or refuses the file. A handle of a
// non-ELF file (an archive, text) is returned: check elf_kind.
ElfPtr open_elf(int fd, std::string* error);
// The same over a copy of `bytes` kept in `buffer` (libelf wants a
// writable buffer, though it never writes in read mode), which must
// outlive the handle.
ElfPtr open_elf(std::string_view bytes, std::string& buffer, std::string* error);

}  // namespace loupe
