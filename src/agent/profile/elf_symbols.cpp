#include "agent/profile/elf_symbols.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "agent/elf_handle.h"
#include "agent/profile/go_pclntab.h"

namespace loupe::profile {
namespace {

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

// The section called `name`, or null.
Elf_Scn* section_named(Elf* elf, std::string_view name, GElf_Shdr* shdr) {
  size_t names = 0;
  if (elf_getshdrstrndx(elf, &names) != 0) return nullptr;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    if (!gelf_getshdr(scn, shdr)) continue;
    const char* n = elf_strptr(elf, names, shdr->sh_name);
    if (n && name == n) return scn;
  }
  return nullptr;
}

// The bytes of a section with contents in the file (empty for NOBITS).
std::string_view section_bytes(Elf_Scn* scn) {
  Elf_Data* data = scn ? elf_getdata(scn, nullptr) : nullptr;
  if (!data || !data->d_buf) return {};
  return {static_cast<const char*>(data->d_buf), data->d_size};
}

// `.gnu_debuglink`: the file name, NUL, padding to 4 bytes, the CRC-32 in
// the file's byte order.
std::optional<DebugLink> read_debuglink(Elf* elf, bool big_endian) {
  GElf_Shdr shdr;
  std::string_view bytes = section_bytes(section_named(elf, ".gnu_debuglink", &shdr));
  size_t nul = bytes.find('\0');
  if (nul == 0 || nul == std::string_view::npos || nul > 255) return std::nullopt;
  size_t crc_at = (nul + 4) & ~size_t{3};
  if (bytes.size() < crc_at + 4) return std::nullopt;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i)
    crc = crc << 8 | static_cast<uint8_t>(bytes[crc_at + (big_endian ? i : 3 - i)]);
  return DebugLink{std::string(bytes.substr(0, nul)), crc};
}

}  // namespace

std::optional<ElfSymbols> ElfSymbols::load(int fd, std::string* error) {
  // Only the tables read (ElfRead::kSections): not a binary's whole debug
  // info mapped into the agent's RSS while its symbols are read.
  ElfPtr elf = open_elf(fd, error, ElfRead::kSections);
  if (!elf) return std::nullopt;
  return from_elf(elf.get(), error);
}

std::optional<ElfSymbols> ElfSymbols::load(std::string_view bytes, std::string* error) {
  std::string buffer;
  ElfPtr elf = open_elf(bytes, buffer, error);
  if (!elf) return std::nullopt;
  return from_elf(elf.get(), error);
}

std::string ElfSymbols::build_id(int fd) {
  ElfPtr elf = open_elf(fd, nullptr, ElfRead::kSections);
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return {};
  return read_build_id(elf.get());
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
  // Go's names first: on an address both name, the runtime's own stays.
  std::vector<Found> found;
  out.read_go_functions(elf, found);
  out.read_symbol_tables(elf, found);
  out.finish(found);
  out.build_id_ = read_build_id(elf);
  out.debuglink_ = read_debuglink(elf, ehdr.e_ident[EI_DATA] == ELFDATA2MSB);
  return out;
}

void ElfSymbols::read_symbol_tables(void* handle, std::vector<Found>& found) {
  Elf* elf = static_cast<Elf*>(handle);
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
        found.push_back({sym.st_value, sym.st_size, std::string_view(name, strnlen(name, 4096))});
        has_symtab_ = has_symtab_ || type == SHT_SYMTAB;
      }
    }
  }
}

void ElfSymbols::read_go_functions(void* handle, std::vector<Found>& found) {
  Elf* elf = static_cast<Elf*>(handle);
  GElf_Shdr pclntab, text;
  // A position-independent Go binary (-buildmode=pie, the default of some
  // distributions) has the table among the data relocated at load time.
  std::string_view bytes = section_bytes(section_named(elf, ".gopclntab", &pclntab));
  if (bytes.empty()) bytes = section_bytes(section_named(elf, ".data.rel.ro.gopclntab", &pclntab));
  if (bytes.empty() || !section_named(elf, ".text", &text)) return;
  std::string error;  // an unknown or corrupt table: the ELF symbols, if any, name it
  // The table's names are views into `bytes`, which the handle keeps.
  for (const GoFunction& f : read_go_pclntab(bytes, text.sh_addr, &error)) {
    found.push_back({f.entry, f.end - f.entry, f.name});
    has_go_functions_ = true;
  }
}

void ElfSymbols::finish(std::vector<Found>& found) {
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.addr < b.addr; });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const Found& a, const Found& b) { return a.addr == b.addr; }),
              found.end());
  size_t bytes = 0, kept = 0;
  for (const Found& f : found) {
    if (bytes + f.name.size() > std::numeric_limits<uint32_t>::max()) break;
    bytes += f.name.size();
    ++kept;
  }
  std::string names;
  names.reserve(bytes);
  std::vector<Symbol> symbols;
  symbols.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    const Found& f = found[i];
    symbols.push_back({f.addr, f.size, static_cast<uint32_t>(names.size()),
                       static_cast<uint32_t>(f.name.size())});
    names.append(f.name);
  }
  symbols_ = std::move(symbols);
  names_ = std::move(names);
}

void ElfSymbols::add_symbols_of(const ElfSymbols& debug_file) {
  std::vector<Found> found;
  found.reserve(symbols_.size() + debug_file.symbols_.size());
  auto list = [&found](const std::vector<Symbol>& symbols, std::string_view names) {
    for (const Symbol& s : symbols)
      found.push_back({s.addr, s.size, names.substr(s.name_offset, s.name_size)});
  };
  list(debug_file.symbols_, debug_file.names_);  // first: its names stay
  list(symbols_, names_);                        // viewed until finish() replaces them
  has_symtab_ = has_symtab_ || debug_file.has_symtab_;
  finish(found);
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
