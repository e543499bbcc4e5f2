// A busy thread of Loupe giving the CPU up after every short burst of
// work, so that a program waiting for that CPU runs in between.
//
// Why: at saturation (nginx and wrk keep both CPUs busy, issue 14) the
// scheduler switches between runnable threads only when one blocks, when
// one wakes, or at its tick: 4 ms at HZ=250. A store round (~5 ms for a
// 200 ms batch of records), a pump drain or an unwinder's table build ran
// to its end while nginx, runnable, waited: wrk's p99 went from 0.75 to
// ~2.6 ms under `loupe run`, where the kernel side alone adds 13%. A
// sleep of a microsecond every kBurstBudget lets a waiting program run
// first; the thread keeps its lag, so its share of a busy CPU stays about
// what it was. Not sched_yield(): on Linux 6.18 a yield charges the thread
// the rest of its slice (vruntime = deadline), and with Loupe's 100 ms
// slices (core/sched_slice.h) a thread yielding every 500 µs got 0.01 s of
// CPU in 4 s beside a busy loop, against 1.19 s without yielding (0.78 s
// sleeping instead).
//
// A thread installs one for itself (install_burst_yield) and its loops
// call burst_point() once per unit of work (an event, a record); threads
// without one, and code run on them, never yield.
#pragma once

#include <chrono>
#include <cstdint>

namespace loupe {

// Below the traced programs' untraced p99 at saturation (0.75 ms), and
// long enough that a pump drain at saturation (~5 ms of events, 0.3-0.5
// ms) seldom stops: each switch also costs both sides their caches.
constexpr std::chrono::microseconds kBurstBudget{500};

class BurstYield {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = Clock::time_point (*)();
  using Yield = void (*)();
  // The clock is read every kCheckEvery steps (a clock read costs ~25 ns,
  // a step ~1 µs).
  static constexpr uint32_t kCheckEvery = 16;

  explicit BurstYield(std::chrono::nanoseconds budget = kBurstBudget, Now now = &Clock::now,
                      Yield yield = &sleep_a_moment);

  void step() {
    if (++steps_ == kCheckEvery) check();
  }
  uint64_t yields() const { return yields_; }

  // Blocks for ~1 µs (plus the thread's timer slack).
  static void sleep_a_moment();

 private:
  void check();

  const std::chrono::nanoseconds budget_;
  const Now now_;
  const Yield yield_;
  uint32_t steps_ = 0;
  Clock::time_point start_{}, last_check_{};
  uint64_t yields_ = 0;
};

namespace detail {
inline thread_local BurstYield* tls_burst_yield = nullptr;
}

// The calling thread's; nullptr: none. The caller keeps it alive while
// installed.
inline void install_burst_yield(BurstYield* y) { detail::tls_burst_yield = y; }

// A unit of work done on the calling thread: it yields once its installed
// budget has passed since it last yielded or got the CPU.
inline void burst_point() {
  if (BurstYield* y = detail::tls_burst_yield) y->step();
}

}  // namespace loupe
