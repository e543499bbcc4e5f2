#include "agent/drain_pacer.h"

#include <algorithm>

namespace loupe {

DrainPacer::DrainPacer(int min_ms, int max_ms, uint64_t target_bytes)
    : min_ms_(min_ms),
      max_ms_(std::max(min_ms, max_ms)),
      target_bytes_(target_bytes),
      wait_ms_(min_ms) {}

int DrainPacer::next_wait_ms(uint64_t unread, double elapsed_ms) {
  // At the rate seen (unread / elapsed), how long until target_bytes wait.
  double fit = unread == 0
                   ? max_ms_
                   : elapsed_ms * static_cast<double>(target_bytes_) / static_cast<double>(unread);
  int next = fit >= max_ms_ ? max_ms_ : static_cast<int>(fit);
  wait_ms_ = std::clamp(std::min(next, 2 * wait_ms_), min_ms_, max_ms_);
  return wait_ms_;
}

}  // namespace loupe
