// Which of a few function names an ELF file defines, from .dynsym and
// .symtab. Used to tell whether a library or executable carries OpenSSL
// before asking libbpf to attach (libbpf would log a failure per name).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loupe::tls {

struct ElfSymbols {
  bool ok = false;            // the file is a readable 64-bit ELF
  std::string error;          // why not, when !ok
  std::vector<bool> defined;  // one per requested name
};

// Looks `names` up among the defined function symbols of `path`.
ElfSymbols find_elf_functions(const std::string& path, const std::vector<std::string_view>& names);

}  // namespace loupe::tls
