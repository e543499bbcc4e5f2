#include "core/burst_yield.h"

#include <sched.h>

namespace loupe {

BurstYield::BurstYield(std::chrono::nanoseconds budget, Now now, Yield yield)
    : budget_(budget), now_(now), yield_(yield) {}

void BurstYield::sched_yield_now() { sched_yield(); }

void BurstYield::check() {
  steps_ = 0;
  Clock::time_point now = now_();
  // A long gap since the last check: the thread was off the CPU (it
  // blocked between rounds, or was preempted), so a new burst began. No
  // hook at every place a thread waits is needed.
  if (now - last_check_ > 2 * budget_) {
    start_ = now;
  } else if (now - start_ >= budget_) {
    yield_();
    ++yields_;
    now = now_();
    start_ = now;
  }
  last_check_ = now;
}

}  // namespace loupe
