#include "agent/clock.h"

#include <time.h>

namespace loupe {
namespace {

uint64_t read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

void MonotonicToUnix::resync() {
  // Bracket the realtime read with two monotonic reads and use their middle,
  // so the offset error is at most half the (sub-microsecond) bracket.
  uint64_t m1 = read_clock(CLOCK_MONOTONIC);
  uint64_t real = read_clock(CLOCK_REALTIME);
  uint64_t m2 = read_clock(CLOCK_MONOTONIC);
  offset_ns_ = real - (m1 + (m2 - m1) / 2);
}

}  // namespace loupe
