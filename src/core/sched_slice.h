// The scheduler's time slice of the calling thread (EEVDF, Linux 6.12+:
// sched_attr::sched_runtime of a SCHED_OTHER thread is its slice, 0.1 to
// 100 ms; earlier kernels accept and ignore it).
//
// Why: Loupe shares the host's CPUs with the programs it traces, and what
// it costs them at moderate load is not CPU but waiting. Measured at a
// paced 10k req/s (docs/benchmarks.md, "issue 14, paced"), nginx and wrk
// waited behind Loupe's threads ~40-120 times a second for 10-8,000 µs:
// enough for p99. EEVDF lets a waking thread with a *shorter* slice than
// the running one preempt it at once (PREEMPT_SHORT), and a thread with a
// long slice gets a late deadline, so it does not preempt others when it
// wakes. A long slice changes no weight: under saturation every thread
// keeps its fair share of CPU (no starvation, unlike SCHED_IDLE), so the
// ring buffer drains as fast as before. Nice values are kept.
#pragma once

#include <chrono>
#include <cstdint>

namespace loupe {

// Every thread of the process but the pump: the programs on the host
// (default slice 0.7-3 ms) and the pump preempt them as they wake. Set in
// main() before any thread starts; threads inherit it.
constexpr std::chrono::milliseconds kBackgroundSlice{100};

// Sets the calling thread's slice, keeping its policy and nice; only for
// SCHED_OTHER threads (a SCHED_BATCH/IDLE/RT thread someone chose stays as
// it is). False when the kernel refuses or the policy is another.
bool set_thread_slice(std::chrono::nanoseconds slice);

// The calling thread's slice as the kernel reports it (0 when unknown).
uint64_t thread_slice_ns();

}  // namespace loupe
