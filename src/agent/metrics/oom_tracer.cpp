#include "agent/metrics/oom_tracer.h"

#include <bpf/libbpf.h>
#include <linux/types.h>

#include <cerrno>
#include <cstring>

#include "oom_trace.h"
#include "oom_trace.skel.h"

namespace loupe::metrics {

OomTracer::~OomTracer() {
  ring_buffer__free(rb_);
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
  rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.oom_events), on_event, this, nullptr);
  if (!rb_) {
    *error = std::string("OOM ring buffer: ") + std::strerror(errno);
    oom_trace_bpf__destroy(skel_);
    skel_ = nullptr;
    return false;
  }
  return true;
}

void OomTracer::poll(int timeout_ms) {
  if (rb_) ring_buffer__poll(rb_, timeout_ms);
}

int OomTracer::on_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<OomTracer*>(ctx);
  if (size < sizeof(loupe_oom_event)) return 0;
  loupe_oom_event e;
  std::memcpy(&e, data, sizeof e);
  OomTraceEvent out;
  out.time_ns = self->clock_.to_unix(e.ktime_ns);
  out.pid = e.tgid;
  out.command.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  out.dfl_cgroup_id = e.dfl_cgroup_id;
  out.memory_cgroup_id = e.memory_cgroup_id;
  self->handler_(out);
  return 0;
}

}  // namespace loupe::metrics
