#include "agent/drain_pacer.h"

#include <algorithm>

namespace loupe {

DrainPacer::DrainPacer(int min_ms, int max_ms, uint64_t target_bytes, double work_ms)
    : min_ms_(min_ms),
      max_ms_(std::max(min_ms, max_ms)),
      target_bytes_(target_bytes),
      work_ms_(work_ms),
      wait_ms_(min_ms) {}

int DrainPacer::next_wait_ms(uint64_t unread, double elapsed_ms, double last_drain_ms) {
  // At the rate seen (unread / elapsed), how long until target_bytes wait.
  double fit = unread == 0
                   ? max_ms_
                   : elapsed_ms * static_cast<double>(target_bytes_) / static_cast<double>(unread);
  // And how long until a drain's work would pass work_ms, at what the
  // last drain's traffic (covered_ms_ of it) cost.
  if (work_ms_ > 0 && last_drain_ms > work_ms_ && covered_ms_ > 0)
    fit = std::min(fit, covered_ms_ * work_ms_ / last_drain_ms);
  covered_ms_ = elapsed_ms;
  int next = fit >= max_ms_ ? max_ms_ : static_cast<int>(fit);
  wait_ms_ = std::clamp(std::min(next, 2 * wait_ms_), min_ms_, max_ms_);
  return wait_ms_;
}

}  // namespace loupe
