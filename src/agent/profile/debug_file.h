// A stripped binary's separate debug file (Debian's -dbgsym packages,
// `objcopy --only-keep-debug`), found the way GDB looks for it: by GNU
// build id under /usr/lib/debug/.build-id/, then by the `.gnu_debuglink`
// name next to the binary, in its .debug/ folder and under
// /usr/lib/debug/<its folder>/. All inside the process's own root, so a
// container's debug files name a container's binaries, and a container's
// symlinks cannot point the agent at the host's files. A candidate counts
// only when it is the binary's: the same build id, or the CRC-32 the
// debuglink holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/profile/elf_symbols.h"

namespace loupe::profile {

struct DebugFileCounters {
  uint64_t loaded = 0;      // debug files read
  uint64_t mismatched = 0;  // candidates of another build (build id or CRC differ), or corrupt
};

struct DebugFileCandidate {
  std::string path;  // in the process's filesystem
  bool by_build_id;  // else by debuglink: checked by CRC
};

// Where the debug file of the binary at `binary_path` may be, in the order
// they are tried. Build ids shorter than 2 bytes and debuglink names with a
// '/' (or "." and "..") give no candidates.
std::vector<DebugFileCandidate> debug_file_candidates(std::string_view binary_path,
                                                      std::string_view build_id,
                                                      const std::optional<DebugLink>& link);

// The symbols of the first candidate under `root` (a directory standing for
// the process's "/", such as /proc/PID/root) that is the debug file of
// `binary`; nullopt when there is none.
std::optional<ElfSymbols> load_debug_file(const std::string& root, std::string_view binary_path,
                                          const ElfSymbols& binary, DebugFileCounters* counters);

// CRC-32 (zlib's, the one .gnu_debuglink uses) of the whole file at `fd`;
// nullopt on a read error.
std::optional<uint32_t> file_crc32(int fd);

}  // namespace loupe::profile
