#include "agent/metrics/tcp_tracer.h"

#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/address.h"
#include "tcp_trace.h"
#include "tcp_trace.skel.h"

namespace loupe::metrics {

TcpTracer::~TcpTracer() {
  ring_.reset();
  tcp_trace_bpf__destroy(skel_);
}

bool TcpTracer::start(Handler handler, std::string* error) {
  handler_ = std::move(handler);
  skel_ = tcp_trace_bpf__open();
  if (!skel_) {
    *error = std::string("opening the TCP health programs failed: ") + std::strerror(errno);
    return false;
  }
  skel_->rodata->self_tgid = static_cast<uint32_t>(getpid());
  int err = tcp_trace_bpf__load(skel_);
  if (!err) err = tcp_trace_bpf__attach(skel_);
  if (!err) {
    ring_ = std::make_unique<BpfRingReader>();
    if (!ring_->open(bpf_map__fd(skel_->maps.tcp_events),
                     bpf_map__max_entries(skel_->maps.tcp_events))) {
      err = -errno;
      ring_.reset();
    }
  }
  if (err) {
    *error = std::string("loading the TCP health tracepoints failed: ") + std::strerror(-err);
    tcp_trace_bpf__destroy(skel_);
    skel_ = nullptr;
    return false;
  }
  return true;
}

int TcpTracer::ring_fd() const { return ring_ ? bpf_map__fd(skel_->maps.tcp_events) : -1; }

size_t TcpTracer::drain() {
  if (!ring_) return 0;
  return ring_->consume(SIZE_MAX, [this](std::span<const uint8_t> data) { on_event(data); });
}

void TcpTracer::on_event(std::span<const uint8_t> data) {
  if (data.size() < sizeof(loupe_tcp_event)) return;
  loupe_tcp_event e;
  std::memcpy(&e, data.data(), sizeof e);
  if (e.kind < LOUPE_TCP_CONNECTED || e.kind > LOUPE_TCP_ACCEPTED) return;
  TcpEvent out;
  out.kind = static_cast<TcpEventKind>(e.kind);
  out.pid = e.tgid;
  out.cgroup_id = e.cgroup_id;
  out.command.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  out.value = e.value;
  loupe_addr peer{};
  peer.family = e.family == 4 ? AF_INET : AF_INET6;
  peer.port = e.dport;
  std::memcpy(peer.addr, e.daddr, sizeof peer.addr);
  out.peer = format_address(peer);
  out.incoming = e.incoming != 0;
  if (out.incoming) out.peer.erase(out.peer.rfind(':'));  // the client's ephemeral port
  handler_(out);
}

}  // namespace loupe::metrics
