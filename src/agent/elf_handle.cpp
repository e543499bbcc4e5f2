#include "agent/elf_handle.h"

namespace loupe {
namespace {

bool libelf_ready(std::string* error) {
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  if (!ok && error) *error = "libelf version mismatch";
  return ok;
}

ElfPtr checked(Elf* elf, std::string* error) {
  if (!elf && error) *error = std::string("not an ELF file: ") + elf_errmsg(-1);
  return ElfPtr(elf);
}

}  // namespace

ElfPtr open_elf(int fd, std::string* error, ElfRead how) {
  if (!libelf_ready(error)) return nullptr;
  return checked(elf_begin(fd, how == ElfRead::kMapped ? ELF_C_READ_MMAP : ELF_C_READ, nullptr),
                 error);
}

ElfPtr open_elf(std::string_view bytes, std::string& buffer, std::string* error) {
  if (!libelf_ready(error)) return nullptr;
  buffer.assign(bytes);
  return checked(elf_memory(buffer.data(), buffer.size()), error);
}

}  // namespace loupe
