#include "agent/pump_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace loupe {

PumpPriority::PumpPriority(int normal_nice, int boosted_nice, uint64_t ring_bytes, SetNice set_nice)
    : normal_nice_(normal_nice),
      boosted_nice_(boosted_nice),
      raise_at_(ring_bytes / 8),
      restore_below_(ring_bytes / 64),
      set_nice_(std::move(set_nice)) {}

void PumpPriority::update(uint64_t unread_bytes) {
  if (boosted_nice_ == 0 || refused_) return;
  if (!boosted_ && unread_bytes >= raise_at_) {
    if (!set_nice_(boosted_nice_)) {
      refused_ = true;
      return;
    }
    boosted_ = true;
    ++boosts_;
  } else if (boosted_ && unread_bytes < restore_below_) {
    set_nice_(normal_nice_);
    boosted_ = false;
  }
}

bool PumpPriority::set_thread_nice(int nice) {
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

int PumpPriority::thread_nice() {
  errno = 0;
  int n = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? n : 0;
}

}  // namespace loupe
