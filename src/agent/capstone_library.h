// capstone, opened with dlopen only while a function is disassembled (the
// SSL_write probe site, the RETs of Go's crypto/tls Read) and closed again.
// Linked, the library stayed mapped for the life of the process: ~5 MiB of
// resident memory, 1.3 MiB of it private (pages dirtied by its relocations),
// for a few milliseconds of use per traced file (docs/benchmarks.md, issue 14).
#pragma once

#include <capstone/capstone.h>

#include <string>

namespace loupe {

// The capstone functions Loupe calls, resolved from the loaded library.
struct CapstoneApi {
  decltype(&cs_open) open = nullptr;
  decltype(&cs_close) close = nullptr;
  decltype(&cs_option) option = nullptr;
  decltype(&cs_disasm) disasm = nullptr;
  decltype(&cs_disasm_iter) disasm_iter = nullptr;
  decltype(&cs_malloc) malloc = nullptr;
  decltype(&cs_free) free = nullptr;
  decltype(&cs_insn_group) insn_group = nullptr;
  decltype(&cs_regs_access) regs_access = nullptr;
};

// The library loaded for as long as this object lives.
class CapstoneLibrary {
 public:
  // The soname of the headers Loupe was built with: the structs it reads
  // (cs_insn, cs_detail) change between major versions.
  static const char* soname();

  CapstoneLibrary();
  ~CapstoneLibrary();
  CapstoneLibrary(const CapstoneLibrary&) = delete;
  CapstoneLibrary& operator=(const CapstoneLibrary&) = delete;

  // nullptr when the library could not be loaded; error() says why.
  const CapstoneApi* api() const { return handle_ ? &api_ : nullptr; }
  const std::string& error() const { return error_; }

 private:
  void* handle_ = nullptr;
  CapstoneApi api_;
  std::string error_;
};

}  // namespace loupe
