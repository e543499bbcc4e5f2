// OOM kills from the kernel as they happen: loads bpf/oom_trace.bpf.c (the
// oom/mark_victim raw tracepoint) and reads its ring buffer. When the kernel
// lacks the tracepoint or refuses the program, start() says why and the
// sampler falls back to the cgroups' oom_kill counters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "agent/bpf_ring_reader.h"
#include "agent/clock.h"

struct oom_trace_bpf;

namespace loupe::metrics {

struct OomTraceEvent {
  uint64_t time_ns = 0;  // unix
  uint32_t pid = 0;      // thread group id of the victim
  std::string command;
  uint64_t dfl_cgroup_id = 0;     // inode of its v2 cgroup directory
  uint64_t memory_cgroup_id = 0;  // inode of its memory cgroup directory (v1 or v2)
};

class OomTracer {
 public:
  using Handler = std::function<void(const OomTraceEvent&)>;

  OomTracer() = default;
  ~OomTracer();
  OomTracer(const OomTracer&) = delete;
  OomTracer& operator=(const OomTracer&) = delete;

  // Loads and attaches. false with *error when it cannot.
  bool start(Handler handler, std::string* error);
  bool active() const { return ring_ != nullptr; }
  // The ring buffer's fd, readable while events wait (-1 when not active).
  int ring_fd() const;
  // Hands the events waiting to the handler, without waiting; returns how
  // many.
  size_t drain();

 private:
  void on_event(std::span<const uint8_t> data);

  oom_trace_bpf* skel_ = nullptr;
  std::unique_ptr<BpfRingReader> ring_;
  Handler handler_;
  MonotonicToUnix clock_;
};

}  // namespace loupe::metrics
