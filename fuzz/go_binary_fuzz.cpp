// libFuzzer target for what the Go TLS probes read from programs any
// process may bring along (src/agent/gotls): the ELF file with its
// .go.buildinfo and .symtab (libelf underneath), the build info section on
// its own, and the disassembly that finds RET instructions. A corrupt or
// hostile file must give an error or nothing, never a crash.
#include <elf.h>

#include <cstdlib>
#include <string_view>

#include "agent/gotls/go_binary.h"
#include "agent/gotls/go_buildinfo.h"
#include "agent/gotls/ret_offsets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  std::string error;
  if (auto go = loupe::gotls::inspect_go_binary_bytes(bytes, &error)) {
    for (const auto& fn : {go->read, go->write})
      if (fn)
        for (uint64_t ret : fn->returns)
          if (ret < fn->file_offset || ret >= fn->file_offset + fn->size) std::abort();
  }

  // The section alone, its pointers resolved inside the same bytes.
  std::string version = loupe::gotls::go_buildinfo_version(
      bytes, [bytes](uint64_t addr, uint64_t len) -> std::string_view {
        if (addr > bytes.size() || len > bytes.size() - addr) return {};
        return bytes.substr(addr, len);
      });
  if (version.size() > size) std::abort();
  (void)loupe::gotls::parse_go_version(version);
  (void)loupe::gotls::parse_go_version(bytes);

  for (uint16_t machine : {uint16_t{EM_X86_64}, uint16_t{EM_AARCH64}})
    for (uint64_t off : loupe::gotls::find_returns(bytes, machine).offsets)
      if (off >= size) std::abort();
  return 0;
}
