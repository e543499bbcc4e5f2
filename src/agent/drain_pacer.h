// How long the pump sleeps before its next drain of the ring buffer.
//
// Why: a wakeup of the pump costs CPU whether or not anything is waiting
// (epoll_wait's timer and two context switches: ~38 µs on this PVM guest
// with the ring empty, docs/benchmarks.md "issue 14, paced"), so a fixed
// 5 ms poll spent ~7.5 ms of CPU a second on an idle host and was half of
// the pump's CPU at a paced 10k req/s. A fixed 20 ms poll lost events of a
// pipelined burst (every drain started further behind). So the wait
// follows the traffic: sized for the next drain to find about
// `target_bytes` unread at the rate the last drain found, never below
// `min_ms` (the old fixed poll: what a saturated host gets) nor above
// `max_ms`; it at most doubles per drain and shortens at once, so a burst
// after a quiet stretch finds the pump waiting no longer than it did, and
// the kernel still wakes the pump early past a quarter of the ring.
//
// Also sized by work: a drain should take no longer than `work_ms` (the
// pump's burst budget), so that a program waiting for the pump's CPU
// waits no longer than before. Bytes alone do not say it: a byte of
// pipelined Redis (16 commands an event) is several times the parsing of
// a byte of HTTP: 256 KiB of it is ~8,000 records, ~1 ms of the pump's
// work, where 256 KiB of HTTP/1 exchanges is ~0.4 ms.
#pragma once

#include <cstdint>

namespace loupe {

class DrainPacer {
 public:
  // `work_ms` 0: drains sized by bytes alone.
  DrainPacer(int min_ms, int max_ms, uint64_t target_bytes, double work_ms = 0);

  // `unread`: bytes the drain that just started found waiting;
  // `elapsed_ms`: since the previous drain started; `last_drain_ms`: how
  // long the previous drain took (0: unknown). Returns the wait before the
  // next drain.
  int next_wait_ms(uint64_t unread, double elapsed_ms, double last_drain_ms = 0);

  int wait_ms() const { return wait_ms_; }

 private:
  const int min_ms_, max_ms_;
  const uint64_t target_bytes_;
  const double work_ms_;
  int wait_ms_;
  double covered_ms_ = 0;  // ms of traffic the drain started at the last call found
};

}  // namespace loupe
