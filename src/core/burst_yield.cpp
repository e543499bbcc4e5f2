#include "core/burst_yield.h"

#include <time.h>

namespace loupe {

BurstYield::BurstYield(std::chrono::nanoseconds budget, Now now, Yield yield)
    : budget_(budget), now_(now), yield_(yield) {}

void BurstYield::sleep_a_moment() {
  timespec ts{0, 1000};
  nanosleep(&ts, nullptr);
}

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
