// Which of a few function names an ELF file defines, from .dynsym and
// .symtab, and their machine code. Used to tell whether a library or
// executable carries OpenSSL before asking libbpf to attach (libbpf would
// log a failure per name), and where in a function to probe
// (probe_site.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::tls {

struct ElfSymbols {
  bool ok = false;            // the file is a readable 64-bit ELF
  std::string error;          // why not, when !ok
  std::vector<bool> defined;  // one per requested name
  uint16_t machine = 0;       // e_machine
  // One per requested name: the function's bytes (its symbol's size), empty
  // when not defined or not in the file.
  std::vector<std::string> code;
};

// Looks `names` up among the defined function symbols of `path`.
ElfSymbols find_elf_functions(const std::string& path, const std::vector<std::string_view>& names);

}  // namespace loupe::tls
