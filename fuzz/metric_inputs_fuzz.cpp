// libFuzzer target for the file formats the resource-metrics sampler parses
// (cgroup files, /proc/self/mountinfo). The first byte picks the parser; the
// rest is its input.
#include <cstdint>
#include <string_view>

#include "agent/metrics/cgroup_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 2) {
    case 0: {
      bool unlimited = false;
      (void)loupe::metrics::keyed_value(text, "oom_kill");
      (void)loupe::metrics::single_value(text, &unlimited);
      (void)loupe::metrics::psi_some_avg10(text);
      break;
    }
    case 1:
      (void)loupe::metrics::parse_mountinfo(text, "/nonexistent-loupe-fuzz");
      break;
  }
  return 0;
}
