#include "agent/gotls/go_binary.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "agent/elf_handle.h"
#include "agent/gotls/go_buildinfo.h"
#include "agent/gotls/go_dwarf_layout.h"
#include "agent/gotls/ret_offsets.h"

namespace loupe::gotls {
namespace {

// Larger "functions" are not crypto/tls's Read or Write: a corrupt symbol.
constexpr uint64_t kMaxFunction = 64 * 1024;
constexpr std::string_view kReadSymbol = "crypto/tls.(*Conn).Read";
constexpr std::string_view kWriteSymbol = "crypto/tls.(*Conn).Write";
// Go 1.20 renamed the itab symbols from "go.itab." to "go:itab.".
constexpr std::string_view kTcpConnItabs[] = {"go.itab.*net.TCPConn,net.Conn",
                                              "go:itab.*net.TCPConn,net.Conn"};

// The bytes of a section as libelf holds them (empty for NOBITS or when
// its extent is not in the file).
std::string_view section_bytes(Elf_Scn* scn) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || !data->d_buf) return {};
  return {static_cast<const char*>(data->d_buf), data->d_size};
}

// `len` bytes at virtual address `addr`, from the allocated section that
// holds them.
std::string_view bytes_at(Elf* elf, uint64_t addr, uint64_t len) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS) continue;
    if (addr < sh.sh_addr || addr - sh.sh_addr >= sh.sh_size) continue;
    std::string_view bytes = section_bytes(scn);
    uint64_t at = addr - sh.sh_addr;
    if (at > bytes.size() || len > bytes.size() - at) return {};
    return bytes.substr(at, len);
  }
  return {};
}

Elf_Scn* section_named(Elf* elf, size_t shstrndx, std::string_view name) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
    if (n && name == n) return scn;
  }
  return nullptr;
}

// Reads `len` bytes of the file at `offset` into `out`; false when the
// file does not hold them.
//
// Code is read from the file itself, not through libelf's mapping: the
// kernel writes a uprobe's breakpoint into every private mapping of the
// file that may execute, so where another tracer on the host (or another
// Loupe) has probes in crypto/tls, a mapped Read shows int3 bytes in place
// of its first instruction and RETs, and no return would be found.
using ReadCode = std::function<bool(uint64_t offset, uint64_t len, std::string& out)>;

// A function symbol located in its section, with its returns.
std::optional<GoFunction> function_at(Elf* elf, const GElf_Sym& sym, uint16_t machine,
                                      const ReadCode& read_code) {
  Elf_Scn* scn = elf_getscn(elf, sym.st_shndx);
  GElf_Shdr sh;
  if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS) return std::nullopt;
  if (sym.st_value < sh.sh_addr || sym.st_value - sh.sh_addr > sh.sh_size ||
      sym.st_size > sh.sh_size - (sym.st_value - sh.sh_addr) || sym.st_size == 0 ||
      sym.st_size > kMaxFunction)
    return std::nullopt;
  GoFunction f;
  f.address = sym.st_value;
  f.file_offset = sh.sh_offset + (sym.st_value - sh.sh_addr);
  f.size = sym.st_size;
  std::string code;
  if (!read_code(f.file_offset, f.size, code)) return std::nullopt;
  Returns r = find_returns(code, machine);
  for (uint64_t off : r.offsets) f.returns.push_back(f.file_offset + off);
  f.returns_error = r.error;
  return f;
}

void read_symbols(Elf* elf, Elf_Scn* symtab, const ReadCode& read_code, GoBinary& out) {
  GElf_Shdr sh;
  Elf_Data* data = elf_getdata(symtab, nullptr);
  if (!gelf_getshdr(symtab, &sh) || !data || sh.sh_entsize == 0) return;
  size_t count = data->d_size / sh.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name) continue;
    std::string_view n(name);
    if (GELF_ST_TYPE(sym.st_info) == STT_FUNC && (n == kReadSymbol || n == kWriteSymbol)) {
      (n == kReadSymbol ? out.read : out.write) = function_at(elf, sym, out.machine, read_code);
    } else if (n == kTcpConnItabs[0] || n == kTcpConnItabs[1]) {
      out.tcp_conn_itab = sym.st_value;
    }
  }
}

std::optional<GoBinary> inspect(Elf* elf, const ReadCode& read_code, std::string* error) {
  GElf_Ehdr eh;
  size_t shstrndx = 0;
  if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
      elf_getshdrstrndx(elf, &shstrndx) != 0) {
    *error = "not a readable ELF file";
    return std::nullopt;
  }
  Elf_Scn* buildinfo = section_named(elf, shstrndx, ".go.buildinfo");
  if (!buildinfo) return std::nullopt;  // not Go (or older than Go 1.13)
  GoBinary out;
  out.machine = eh.e_machine;
  out.position_independent = eh.e_type == ET_DYN;
  out.version = go_buildinfo_version(section_bytes(buildinfo), [elf](uint64_t addr, uint64_t len) {
    return bytes_at(elf, addr, len);
  });
  if (Elf_Scn* symtab = section_named(elf, shstrndx, ".symtab")) {
    out.has_symbols = true;
    read_symbols(elf, symtab, read_code, out);
  }
  // Only worth reading for a program the probes can use.
  if (out.read && out.write) out.dwarf_layout = dwarf_go_tls_layout(elf);
  return out;
}

}  // namespace

std::optional<GoBinary> inspect_go_binary(const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = strerror(errno);
    return std::nullopt;
  }
  ReadCode read_code = [fd](uint64_t offset, uint64_t len, std::string& out) {
    out.resize(len);
    size_t got = 0;
    while (got < len) {
      ssize_t n = pread(fd, out.data() + got, len - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  };
  std::optional<GoBinary> out;
  if (ElfPtr elf = open_elf(fd, error)) out = inspect(elf.get(), read_code, error);
  close(fd);
  return out;
}

std::optional<GoBinary> inspect_go_binary_bytes(std::string_view bytes, std::string* error) {
  std::string buffer;
  ElfPtr elf = open_elf(bytes, buffer, error);
  if (!elf) return std::nullopt;
  ReadCode read_code = [bytes](uint64_t offset, uint64_t len, std::string& out) {
    if (offset > bytes.size() || len > bytes.size() - offset) return false;
    out.assign(bytes.substr(offset, len));
    return true;
  };
  return inspect(elf.get(), read_code, error);
}

}  // namespace loupe::gotls
