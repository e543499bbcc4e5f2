// A busy thread of Loupe giving the CPU up after every short burst of
// work, so that a program waiting for that CPU runs in between.
//
// Why: at saturation (nginx and wrk keep both CPUs busy, issue 14) the
// scheduler switches between runnable threads only when one blocks, when
// one wakes, or at its tick: 4 ms at HZ=250. A store round (~5 ms for a
// 200 ms batch of records), a pump drain or an unwinder's table build ran
// to its end while nginx, runnable, waited: wrk's p99 went from 0.75 to
// ~2.6 ms under `loupe run`, where the kernel side alone adds 13%. A
// sched_yield() every kBurstBudget lets the program run first (EEVDF moves
// the yielding thread's deadline a slice later); the thread's share of CPU
// (its vruntime) is unchanged, so it does not fall behind, and a yield
// with nothing else runnable returns at once.
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
// ms) seldom yields: each switch also costs both sides their caches (at
// 200 µs the pump's CPU per event grew by a fifth or more).
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
                      Yield yield = &sched_yield_now);

  void step() {
    if (++steps_ == kCheckEvery) check();
  }
  uint64_t yields() const { return yields_; }

  static void sched_yield_now();

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
