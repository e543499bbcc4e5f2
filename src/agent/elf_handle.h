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

// How a handle reads its file.
enum class ElfRead {
  // Mapped whole: every page read stays in the process's RSS (file pages)
  // until the handle goes, and fault-around brings in its neighbours too.
  // For readers that touch a little of very large sections (DWARF). The
  // mapping is private, so code in it shows the breakpoints of any uprobe
  // on the file (another tracer's too): code to disassemble is read with
  // pread instead (gotls/go_binary.cpp).
  kMapped,
  // Headers and each section asked for read with pread into the heap,
  // freed with the handle: only the bytes used. For the profiler's symbol
  // and unwind tables, read whole anyway (the agent's file pages were 34
  // MiB against 16 while other processes' binaries were being read,
  // docs/benchmarks.md "issue 14, runrss3").
  kSections,
};

// A read handle over an open file; the fd must stay open while the handle
// is used, and may be closed once it is gone. Null, with *error set when
// error is not null, when libelf cannot be used or refuses the file. A
// handle of a non-ELF file (an archive, text) is returned: check elf_kind.
ElfPtr open_elf(int fd, std::string* error, ElfRead how = ElfRead::kMapped);
// The same over a copy of `bytes` kept in `buffer` (libelf wants a
// writable buffer, though it never writes in read mode), which must
// outlive the handle.
ElfPtr open_elf(std::string_view bytes, std::string& buffer, std::string* error);

}  // namespace loupe
