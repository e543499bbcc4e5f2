#include "core/sched_slice.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace loupe {
namespace {

// <linux/sched/types.h>'s, which glibc does not wrap (version 0: 48 bytes).
struct SchedAttr {
  uint32_t size = sizeof(SchedAttr);
  uint32_t sched_policy = 0;
  uint64_t sched_flags = 0;
  int32_t sched_nice = 0;
  uint32_t sched_priority = 0;
  uint64_t sched_runtime = 0;
  uint64_t sched_deadline = 0;
  uint64_t sched_period = 0;
};

bool get_attr(SchedAttr& a) { return syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) == 0; }

}  // namespace

bool set_thread_slice(std::chrono::nanoseconds slice) {
  SchedAttr a;
  if (!get_attr(a) || a.sched_policy != SCHED_OTHER) return false;
  a.size = sizeof a;
  a.sched_flags = 0;
  a.sched_runtime = static_cast<uint64_t>(slice.count());
  return syscall(SYS_sched_setattr, 0, &a, 0) == 0;
}

uint64_t thread_slice_ns() {
  SchedAttr a;
  return get_attr(a) ? a.sched_runtime : 0;
}

}  // namespace loupe
