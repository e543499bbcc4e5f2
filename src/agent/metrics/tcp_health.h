// TCP health per (local pod or process, remote peer), summed from the
// kernel's TCP events (tcp_tracer.h) between two metric ticks and turned
// into the tcp_* metrics of the catalog (core/metric.h). Outgoing series
// are keyed by the server "ip:port", incoming ones (accepted connections)
// by the client "ip". Bounded: at most
// kMaxSeries owners x peers; events for new ones beyond it are counted and
// dropped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "agent/metrics/tcp_tracer.h"
#include "core/metric.h"

namespace loupe::metrics {

// Who owns a connection: a pod (its uid, named by the server) or a process.
struct TcpOwner {
  std::string entity;  // "pod" | "process"
  std::string name;    // the pod's cgroup path until the server names it; the process name
  std::string pod_uid;
};

class TcpHealth {
 public:
  static constexpr size_t kMaxSeries = 10'000;

  void add(const TcpOwner& owner, const TcpEvent& e);
  // Appends this interval's samples and starts the next interval; owners
  // with open connections keep their tcp_active_connections series.
  void flush(uint64_t now_ns, std::vector<MetricSample>& out);
  uint64_t dropped() const { return dropped_; }

 private:
  struct Counts {
    TcpOwner owner;
    bool incoming = false;  // the owner accepts from this peer (it listens)
    uint64_t accepts = 0, connects = 0, failures = 0, refused = 0, timeouts = 0;
    uint64_t connect_ns_sum = 0;
    uint64_t retransmits = 0, resets_sent = 0, resets_received = 0;
    int64_t active = 0;
    bool touched = false;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // entity, name, peer
  std::map<Key, Counts> series_;
  uint64_t dropped_ = 0;
};

}  // namespace loupe::metrics
