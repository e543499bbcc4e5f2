// libFuzzer target for what the profiler's symbolizer reads from the host:
// /proc/PID/maps, /proc/kallsyms and JIT maps (/tmp/perf-PID.map, written by
// the profiled process itself: untrusted), parsed by hand, and ELF files
// (read with libelf), and the symbol names in them, demangled. A module can
// be anything a process maps: a corrupt or hostile file must give an error
// or fewer symbols, never a crash.
#include <cstdlib>
#include <string_view>

#include "agent/profile/demangle.h"
#include "agent/profile/elf_symbols.h"
#include "agent/profile/kernel_symbols.h"
#include "agent/profile/perf_map.h"
#include "agent/profile/proc_maps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto maps = loupe::profile::parse_proc_maps(text);
  for (size_t i = 0; i < maps.size(); ++i) {
    if (maps[i].end <= maps[i].start) std::abort();
    if (i > 0 && maps[i].start < maps[i - 1].start) std::abort();
    if (loupe::profile::find_mapping(maps, maps[i].start) == nullptr) std::abort();
  }

  auto kernel = loupe::profile::KernelSymbols::parse(text);
  if (kernel.size() > size) std::abort();
  (void)kernel.lookup(0xffffffff81000000);

  auto jit = loupe::profile::PerfMap::parse(text);
  if (jit.size() > size) std::abort();
  for (uint64_t addr : {uint64_t{0}, uint64_t{0x1000}, uint64_t{0x7f0000001000}, ~uint64_t{0}})
    if (jit.lookup(addr).size() > size) std::abort();

  (void)loupe::profile::demangle(text);

  std::string error;
  if (auto elf = loupe::profile::ElfSymbols::load(text, &error))
    for (uint64_t offset : {uint64_t{0}, uint64_t{0x40}, uint64_t{0x1000}, uint64_t{size}})
      if (elf->lookup(offset).size() > size) std::abort();
  return 0;
}
