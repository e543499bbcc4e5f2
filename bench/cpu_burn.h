// A fixed amount of CPU work, calibrated in nanoseconds of this thread's
// CPU time (bench/emit_floor --burn-ns, issue 14's CPU-goal floor).
//
// Why a calibrated loop and not a spin on a clock: a consumer's cost per
// event is instructions, and CPU-time accounting (what "µs per exchange"
// is measured in: utime + stime) charges them whether or not the vCPU was
// stolen or the thread preempted half-way; a spin until a clock has moved
// by N ns would burn less CPU whenever it lost the CPU in between. The
// loop is a dependent chain of register arithmetic (no memory), so its
// time per iteration does not depend on what nginx and wrk do to caches.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>

namespace loupe::bench {

class CpuBurn {
 public:
  // Measures the loop against CLOCK_THREAD_CPUTIME_ID: the fastest of a
  // few ~10 ms samples, so a preemption or an interrupt during one does
  // not make every later burn short.
  CpuBurn() {
    constexpr uint64_t kIters = 4'000'000;
    double best = 1e9;
    for (int i = 0; i < 7; ++i) {
      uint64_t t0 = thread_cpu_ns();
      sink_ ^= spin(kIters);
      uint64_t t1 = thread_cpu_ns();
      best = std::min(best, static_cast<double>(t1 - t0) / kIters);
    }
    ns_per_iter_ = best;
  }

  // Spends about `ns` of CPU.
  void burn(uint64_t ns) { sink_ ^= spin(static_cast<uint64_t>(ns / ns_per_iter_ + 0.5)); }

  double ns_per_iter() const { return ns_per_iter_; }

  static uint64_t thread_cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
  }

 private:
  static uint64_t spin(uint64_t iters) {
    uint64_t x = iters;
    for (uint64_t i = 0; i < iters; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));  // keeps the chain: no closed form, no vectorizing
    }
    return x;
  }

  double ns_per_iter_ = 1;
  uint64_t sink_ = 0;
};

}  // namespace loupe::bench
