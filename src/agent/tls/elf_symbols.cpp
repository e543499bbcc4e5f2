#include "agent/tls/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace loupe::tls {
namespace {

// A read-only mapping of a whole file, unmapped on scope exit.
//
// Shared, not private: the kernel writes a uprobe's breakpoint into every
// private mapping of the file that may execute, so where another tracer on
// the host (or another Loupe) has probes on SSL_write, a private mapping
// shows int3 at its entry, and the probe site chosen from those bytes
// (probe_site.h) could fall inside an instruction. A shared read-only
// mapping is never given breakpoints and reads what the file holds.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = strerror(errno);
      return;
    }
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const uint8_t*>(p);
        size_ = static_cast<size_t>(st.st_size);
      } else {
        error_ = strerror(errno);
      }
    } else {
      error_ = "empty or unreadable file";
    }
    close(fd);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& error() const { return error_; }
  // True when [off, off + len) lies inside the file.
  bool has(uint64_t off, uint64_t len) const { return off <= size_ && len <= size_ - off; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string error_;
};

// The bytes of function `sym` in section `sec`, when the file holds them.
std::string function_code(const MappedFile& f, const Elf64_Shdr& sec, const Elf64_Sym& sym) {
  constexpr uint64_t kMaxFunction = 64 * 1024;
  if (sec.sh_type == SHT_NOBITS || sym.st_size == 0 || sym.st_size > kMaxFunction ||
      sym.st_value < sec.sh_addr || sym.st_value - sec.sh_addr > sec.sh_size ||
      sym.st_size > sec.sh_size - (sym.st_value - sec.sh_addr))
    return {};
  uint64_t off = sec.sh_offset + (sym.st_value - sec.sh_addr);
  if (!f.has(off, sym.st_size)) return {};
  return std::string(reinterpret_cast<const char*>(f.data() + off), sym.st_size);
}

}  // namespace

ElfSymbols find_elf_functions(const std::string& path, const std::vector<std::string_view>& names) {
  ElfSymbols out;
  out.defined.assign(names.size(), false);
  MappedFile f(path);
  if (!f.data()) {
    out.error = f.error();
    return out;
  }
  Elf64_Ehdr eh;
  if (!f.has(0, sizeof eh)) {
    out.error = "not an ELF file";
    return out;
  }
  std::memcpy(&eh, f.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    out.error = "not a 64-bit ELF file";
    return out;
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !f.has(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr))) {
    out.error = "malformed ELF section table";
    return out;
  }
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, f.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  out.ok = true;
  out.machine = eh.e_machine;
  out.code.assign(names.size(), std::string());
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) continue;
    if (sh.sh_link >= eh.e_shnum || !f.has(sh.sh_offset, sh.sh_size)) continue;
    Elf64_Shdr strs = section(sh.sh_link);
    if (!f.has(strs.sh_offset, strs.sh_size)) continue;
    const char* strtab = reinterpret_cast<const char*>(f.data() + strs.sh_offset);
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, f.data() + sh.sh_offset + off, sizeof sym);
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
          sym.st_name >= strs.sh_size)
        continue;
      std::string_view name(strtab + sym.st_name,
                            strnlen(strtab + sym.st_name, strs.sh_size - sym.st_name));
      for (size_t n = 0; n < names.size(); ++n) {
        if (name != names[n]) continue;
        out.defined[n] = true;
        if (out.code[n].empty() && sym.st_shndx < eh.e_shnum)
          out.code[n] = function_code(f, section(sym.st_shndx), sym);
      }
    }
  }
  return out;
}

}  // namespace loupe::tls
