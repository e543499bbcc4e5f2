#include "agent/profile/elf_symbols.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace loupe::profile {
namespace {

bool libelf_ready() {
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  return ok;
}

// Elf handles closed on every return path.
struct ElfHandle {
  Elf* elf;
  ~ElfHandle() { elf_end(elf); }
};

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::string read_build_id(Elf* elf) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t offset = 0, name_offset = 0, desc_offset = 0;
    GElf_Nhdr note;
    while ((offset = gelf_getnote(data, offset, &note, &name_offset, &desc_offset)) > 0) {
      const auto* base = static_cast<const unsigned char*>(data->d_buf);
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(base + name_offset, "GNU", 4) == 0 && note.n_descsz > 0 &&
          note.n_descsz <= 64)
        return hex(base + desc_offset, note.n_descsz);
    }
  }
  return {};
}

}  // namespace

std::optional<ElfSymbols> ElfSymbols::load(int fd, std::string* error) {
  if (!libelf_ready()) {
    *error = "libelf version mismatch";
    return std::nullopt;
  }
  ElfHandle h{elf_begin(fd, ELF_C_READ_MMAP, nullptr)};
  return from_elf(h.elf, error);
}

std::optional<ElfSymbols> ElfSymbols::load(std::string_view bytes, std::string* error) {
  if (!libelf_ready()) {
    *error = "libelf version mismatch";
    return std::nullopt;
  }
  // libelf wants a writable buffer; it never writes in read mode.
  std::string copy(bytes);
  ElfHandle h{elf_memory(copy.data(), copy.size())};
  return from_elf(h.elf, error);
}

std::string ElfSymbols::build_id(int fd) {
  if (!libelf_ready()) return {};
  ElfHandle h{elf_begin(fd, ELF_C_READ_MMAP, nullptr)};
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF) return {};
  return read_build_id(h.elf);
}

std::optional<ElfSymbols> ElfSymbols::from_elf(void* handle, std::string* error) {
  Elf* elf = static_cast<Elf*>(handle);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    *error = "not an ELF file";
    return std::nullopt;
  }
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(elf, &ehdr)) {
    *error = std::string("bad ELF header: ") + elf_errmsg(-1);
    return std::nullopt;
  }
  ElfSymbols out;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0)
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD)
        out.segments_.push_back({phdr.p_offset, phdr.p_vaddr, phdr.p_filesz});
    }
  // .symtab before .dynsym: on equal addresses the first (fuller) name stays.
  for (Elf64_Word type : {SHT_SYMTAB, SHT_DYNSYM}) {
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || shdr.sh_entsize == 0) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data) continue;
      size_t count = data->d_size / shdr.sh_entsize;
      for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        int kind = GELF_ST_TYPE(sym.st_info);
        if ((kind != STT_FUNC && kind != STT_GNU_IFUNC) || sym.st_value == 0 ||
            sym.st_shndx == SHN_UNDEF)
          continue;
        const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!name || !*name) continue;
        size_t len = strnlen(name, 4096);
        if (out.names_.size() + len > std::numeric_limits<uint32_t>::max()) break;
        out.symbols_.push_back({sym.st_value, sym.st_size, static_cast<uint32_t>(out.names_.size()),
                                static_cast<uint32_t>(len)});
        out.names_.append(name, len);
      }
    }
  }
  std::stable_sort(out.symbols_.begin(), out.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  out.symbols_.erase(std::unique(out.symbols_.begin(), out.symbols_.end(),
                                 [](const Symbol& a, const Symbol& b) { return a.addr == b.addr; }),
                     out.symbols_.end());
  out.symbols_.shrink_to_fit();
  out.build_id_ = read_build_id(elf);
  return out;
}

std::string_view ElfSymbols::lookup(uint64_t file_offset) const {
  // The file offset -> the virtual address the symbols are given in.
  uint64_t vaddr = 0;
  bool found = false;
  for (const Segment& s : segments_)
    if (file_offset >= s.offset && file_offset - s.offset < s.filesz) {
      vaddr = file_offset - s.offset + s.vaddr;
      found = true;
      break;
    }
  if (!found) return {};
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return {};
  --it;
  // Symbols without a size (hand-written assembly) cover up to the next one.
  if (it->size != 0 && vaddr - it->addr >= it->size) return {};
  return std::string_view(names_).substr(it->name_offset, it->name_size);
}

}  // namespace loupe::profile
