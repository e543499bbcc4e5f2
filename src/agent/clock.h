// Converts the BPF timestamps (CLOCK_MONOTONIC) to unix epoch nanoseconds.
#pragma once

#include <cstdint>

namespace loupe {

class MonotonicToUnix {
 public:
  MonotonicToUnix() { resync(); }
  // Re-reads both clocks; call now and then so NTP slews are followed.
  void resync();
  uint64_t to_unix(uint64_t mono_ns) const { return mono_ns + offset_ns_; }

 private:
  uint64_t offset_ns_ = 0;
};

}  // namespace loupe
