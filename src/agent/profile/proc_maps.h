// /proc/PID/maps: which file (and which offset in it) backs each executable
// address range of a process, to turn a sampled address into a module
// offset the ELF symbol tables can answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;     // exclusive
  uint64_t offset = 0;  // file offset of `start`
  uint64_t inode = 0;
  std::string path;      // empty for anonymous memory; "[vdso]" and the like for special ones
  bool deleted = false;  // the file was replaced or removed on disk since it was mapped

  uint64_t file_offset(uint64_t addr) const { return addr - start + offset; }
};

// The executable mappings in the text of /proc/PID/maps, sorted by start.
// Malformed lines are skipped and counted in *malformed (when given).
std::vector<Mapping> parse_proc_maps(std::string_view text, uint64_t* malformed = nullptr);

// The mapping containing `addr`, or nullptr.
const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr);

}  // namespace loupe::profile
