#include "agent/metrics/tcp_health.h"

#include <cerrno>

namespace loupe::metrics {

void TcpHealth::add(const TcpOwner& owner, const TcpEvent& e) {
  Key key{owner.entity, owner.name, e.peer};
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= kMaxSeries) {
      ++dropped_;
      return;
    }
    it = series_.emplace(key, Counts{.owner = owner, .incoming = e.incoming}).first;
  }
  Counts& c = it->second;
  c.touched = true;
  switch (e.kind) {
    case TcpEventKind::Accepted:
      ++c.accepts;
      ++c.active;
      break;
    case TcpEventKind::Connected:
      ++c.connects;
      c.connect_ns_sum += e.value;
      ++c.active;
      break;
    case TcpEventKind::ConnectFailed:
      ++c.failures;
      if (e.value == ECONNREFUSED) ++c.refused;
      if (e.value == ETIMEDOUT) ++c.timeouts;
      break;
    case TcpEventKind::Closed:
      if (c.active > 0) --c.active;
      break;
    case TcpEventKind::Retransmit:
      ++c.retransmits;
      break;
    case TcpEventKind::ResetSent:
      ++c.resets_sent;
      break;
    case TcpEventKind::ResetReceived:
      ++c.resets_received;
      break;
  }
}

void TcpHealth::flush(uint64_t now_ns, std::vector<MetricSample>& out) {
  for (auto it = series_.begin(); it != series_.end();) {
    Counts& c = it->second;
    auto emit = [&](const char* metric, double value) {
      MetricSample s;
      s.time_ns = now_ns;
      s.entity = c.owner.entity;
      s.name = c.owner.name;
      s.label = std::get<2>(it->first);
      s.metric = metric;
      s.value = value;
      s.pod_uid = c.owner.pod_uid;
      out.push_back(std::move(s));
    };
    if (c.touched && c.incoming) {
      emit("tcp_accepts", static_cast<double>(c.accepts));
    } else if (c.touched) {
      emit("tcp_connects", static_cast<double>(c.connects));
      emit("tcp_connect_failures", static_cast<double>(c.failures));
      if (c.refused) emit("tcp_connect_refused", static_cast<double>(c.refused));
      if (c.timeouts) emit("tcp_connect_timeouts", static_cast<double>(c.timeouts));
      if (c.connects)
        emit("tcp_connect_time_seconds",
             static_cast<double>(c.connect_ns_sum) / static_cast<double>(c.connects) / 1e9);
    }
    if (c.touched) {
      if (c.retransmits) emit("tcp_retransmits", static_cast<double>(c.retransmits));
      if (c.resets_sent) emit("tcp_resets_sent", static_cast<double>(c.resets_sent));
      if (c.resets_received) emit("tcp_resets_received", static_cast<double>(c.resets_received));
    }
    if (c.touched || c.active > 0) emit("tcp_active_connections", static_cast<double>(c.active));
    if (c.active <= 0) {
      it = series_.erase(it);
      continue;
    }
    int64_t active = c.active;
    c = Counts{.owner = c.owner, .incoming = c.incoming};
    c.active = active;
    ++it;
  }
}

}  // namespace loupe::metrics
