// The metrics thread's sleep between ticks: until one of a few file
// descriptors (the OOM and TCP ring buffers) is readable, a timeout, or
// stop() from another thread.
//
// Why: the thread used to wait in 250 ms slices so that stop() was prompt
// and the TCP ring was read without a wakeup per event: 4 wakeups a second
// whatever the host did, ~45 µs of CPU each on the project's test VM,
// 0.2-0.5 ms a second against the 20 of issue 14's paced goal. With stop()
// an eventfd and the rings' programs waking a reader only when it must
// look (an OOM kill, a quarter of the TCP ring), the thread wakes for its
// ticks alone on a quiet host.
#pragma once

#include <cstddef>

namespace loupe::metrics {

class WaitSet {
 public:
  WaitSet();  // throws std::system_error when the kernel refuses
  ~WaitSet();
  WaitSet(const WaitSet&) = delete;
  WaitSet& operator=(const WaitSet&) = delete;

  // Wakes wait() when `fd` is readable. Returns false (errno set) when the
  // kernel refuses.
  bool add(int fd);
  // Blocks until an fd added is readable (for a BPF ring buffer: its
  // program woke readers), stop() was called, or `timeout_ms` (-1: none)
  // passed.
  void wait(int timeout_ms);
  // Makes every wait() from now on return at once; any thread.
  void stop();

 private:
  void close_all();

  int epoll_fd_ = -1;
  int stop_fd_ = -1;
};

}  // namespace loupe::metrics
