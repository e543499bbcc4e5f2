// The pump thread's priority, raised only while the ring buffer fills.
//
// Why: the pump is the one thread whose lateness loses data for good (a
// full ring buffer drops events). Measured under pipelined Redis on two
// busy cores, the pump at nice 0 was runnable but waiting for a CPU ~90%
// of the time while the 8 MiB ring overflowed (docs/benchmarks.md). At
// nice -10 all the time nothing was lost, but saturated plain HTTP, which
// lost nothing at nice 0, fell from 0.60 to 0.42 of untraced throughput:
// every 5 ms drain preempted nginx and wrk. So the pump takes the higher
// priority when unread data passes an eighth of the ring (7/8 of it still
// free: seconds of a starved pump's lag) and gives it back once a check
// finds less than a sixty-fourth unread (caught up).
#pragma once

#include <cstdint>
#include <functional>

namespace loupe {

class PumpPriority {
 public:
  // Sets the calling thread's nice value; false when refused (no
  // CAP_SYS_NICE).
  using SetNice = std::function<bool(int nice)>;

  // `boosted_nice` 0: never changes anything. `normal_nice`: the thread's
  // own, restored after a boost.
  PumpPriority(int normal_nice, int boosted_nice, uint64_t ring_bytes, SetNice set_nice);

  // With the ring's unread bytes now: raises or restores the priority.
  void update(uint64_t unread_bytes);

  bool boosted() const { return boosted_; }
  uint64_t boosts() const { return boosts_; }  // times the priority was raised
  bool refused() const { return refused_; }    // the system said no once: no more tries

  // The calling thread's nice value through setpriority(2).
  static bool set_thread_nice(int nice);
  static int thread_nice();

 private:
  const int normal_nice_, boosted_nice_;
  const uint64_t raise_at_, restore_below_;
  SetNice set_nice_;
  bool boosted_ = false, refused_ = false;
  uint64_t boosts_ = 0;
};

}  // namespace loupe
