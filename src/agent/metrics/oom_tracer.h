// OOM kills from the kernel as they happen: loads bpf/oom_trace.bpf.c (the
// oom/mark_victim raw tracepoint) and reads its ring buffer. When the kernel
// lacks the tracepoint or refuses the program, start() says why and the
// sampler falls back to the cgroups' oom_kill counters.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/clock.h"

struct oom_trace_bpf;
struct ring_buffer;

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
  bool active() const { return rb_ != nullptr; }
  // Waits up to timeout_ms for events and hands each to the handler.
  // Returns at once when not active.
  void poll(int timeout_ms);

 private:
  static int on_event(void* ctx, void* data, size_t size);

  oom_trace_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  Handler handler_;
  MonotonicToUnix clock_;
};

}  // namespace loupe::metrics
