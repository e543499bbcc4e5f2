// JIT symbol maps: the /tmp/perf-PID.map files runtimes that compile code at
// run time write so profilers can name it (Node.js --perf-basic-prof, Java
// perf-map agents, .NET with DOTNET_PerfMapEnabled, LuaJIT...). One line per
// compiled function, "START SIZE name" with START and SIZE in hex (with or
// without 0x); later lines win for the same address, as code is recompiled
// in place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

class PerfMap {
 public:
  // Parses the file's text; malformed lines are skipped and counted in
  // *malformed (when given). Keeps at most `max_entries` functions (the
  // newest lines; older ones of a huge map are the likeliest replaced).
  static PerfMap parse(std::string_view text, uint64_t* malformed = nullptr,
                       size_t max_entries = 1 << 20);

  // The function whose code holds `addr`; empty when none does.
  std::string_view lookup(uint64_t addr) const;

  size_t size() const { return entries_.size(); }
  size_t bytes() const {
    return sizeof(*this) + entries_.capacity() * sizeof(Entry) + names_.capacity();
  }

 private:
  struct Entry {
    uint64_t start, end;  // end exclusive
    uint32_t name_offset, name_size;
  };
  std::vector<Entry> entries_;  // sorted by start, not overlapping
  std::string names_;
};

}  // namespace loupe::profile
