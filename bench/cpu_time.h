// CPU time for the benchmarks: the machine is shared, so wall time alone
// would measure the neighbours as much as the code under test.
#pragma once

#include <time.h>

namespace loupe::bench {

// CPU time of the calling thread, in seconds.
inline double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace loupe::bench
