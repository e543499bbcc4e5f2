#include "agent/tls/exec_watch.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace loupe::tls {

bool ExecWatch::start(const ExecPrograms& p) {
  if (!p.process_exec || !p.exec_events || !p.exec_events_lost) {
    errno = ENOENT;
    return false;
  }
  progs_ = p;
  lost_seen_ = p.exec_events_lost();
  link_ = bpf_program__attach(p.process_exec);
  if (!link_) return false;
  auto ring = std::make_unique<BpfRingReader>();
  if (!ring->open(bpf_map__fd(p.exec_events), bpf_map__max_entries(p.exec_events))) {
    int err = errno;
    stop();
    errno = err;
    return false;
  }
  ring_ = std::move(ring);
  return true;
}

void ExecWatch::stop() {
  if (link_) bpf_link__destroy(link_);
  link_ = nullptr;
  ring_.reset();
}

ExecWatch::Execs ExecWatch::take() {
  Execs out;
  if (!ring_) return out;
  ring_->consume(SIZE_MAX, [&](std::span<const uint8_t> record) {
    uint32_t pid = 0;
    if (record.size() < sizeof pid) return;
    std::memcpy(&pid, record.data(), sizeof pid);
    out.pids.push_back(pid);
  });
  // A process may exec more than once (a wrapper script that ends in exec).
  std::sort(out.pids.begin(), out.pids.end());
  out.pids.erase(std::unique(out.pids.begin(), out.pids.end()), out.pids.end());
  uint64_t lost = progs_.exec_events_lost();
  out.lost = lost != lost_seen_;
  lost_seen_ = lost;
  return out;
}

}  // namespace loupe::tls
