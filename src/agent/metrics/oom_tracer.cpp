#include "agent/metrics/oom_tracer.h"

#include <bpf/libbpf.h>
#include <linux/types.h>

#include <cerrno>
#include <cstring>

#include "oom_trace.h"
#include "oom_trace.skel.h"

namespace loupe::metrics {

OomTracer::~OomTracer() {
  ring_.reset();
  oom_trace_bpf__destroy(skel_);
}

bool OomTracer::start(Handler handler, std::string* error) {
  handler_ = std::move(handler);
  skel_ = oom_trace_bpf__open_and_load();
  if (!skel_) {
    *error = std::string("loading the OOM tracepoint program failed: ") + std::strerror(errno);
    return false;
  }
  if (int err = oom_trace_bpf__attach(skel_)) {
    *error = std::string("attaching raw tracepoint oom/mark_victim failed: ") + std::strerror(-err);
    oom_trace_bpf__destroy(skel_);
    skel_ = nullptr;
    return false;
  }
  ring_ = std::make_unique<BpfRingReader>();
  if (!ring_->open(bpf_map__fd(skel_->maps.oom_events),
                   bpf_map__max_entries(skel_->maps.oom_events))) {
    ring_.reset();
    *error = std::string("OOM ring buffer: ") + std::strerror(errno);
    oom_trace_bpf__destroy(skel_);
    skel_ = nullptr;
    return false;
  }
  return true;
}

int OomTracer::ring_fd() const { return ring_ ? bpf_map__fd(skel_->maps.oom_events) : -1; }

size_t OomTracer::drain() {
  if (!ring_) return 0;
  return ring_->consume(SIZE_MAX, [this](std::span<const uint8_t> data) { on_event(data); });
}

void OomTracer::on_event(std::span<const uint8_t> data) {
  if (data.size() < sizeof(loupe_oom_event)) return;
  loupe_oom_event e;
  std::memcpy(&e, data.data(), sizeof e);
  OomTraceEvent out;
  out.time_ns = clock_.to_unix(e.ktime_ns);
  out.pid = e.tgid;
  out.command.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  out.dfl_cgroup_id = e.dfl_cgroup_id;
  out.memory_cgroup_id = e.memory_cgroup_id;
  handler_(out);
}

}  // namespace loupe::metrics
