// /proc/PID/stat: a process's name and what tells whether its address
// space may have changed since it was last looked at, from one read. The
// symbolizer reads a process's maps again only when it may have (docs/
// benchmarks.md, "issue 14, profpaced").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loupe::profile {

struct ProcStat {
  std::string comm;         // the process's (its main thread's) name
  uint64_t start_time = 0;  // clock ticks after boot: a new process with the same pid differs
  uint64_t vsize = 0;       // bytes mapped: a mapping added or removed (dlopen) changes it
  // Where its arguments start: chosen at exec, and with address-space
  // randomization different at each, so an exec of the same program
  // (same sizes) changes it too. 0 when the reader may not see it.
  uint64_t arg_start = 0;

  // Equal for two reads of the same address space, as far as these tell.
  bool same_memory(const ProcStat& o) const {
    return start_time == o.start_time && vsize == o.vsize && arg_start == o.arg_start;
  }
};

// The fields above from the text of /proc/PID/stat; nullopt when it does
// not parse. The name may hold spaces and parentheses: it ends at the
// last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace loupe::profile
