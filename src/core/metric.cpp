#include "core/metric.h"

#include <array>

namespace loupe {

namespace {

constexpr std::string_view kCgroup = "container,pod,workload";
constexpr std::string_view kTcp = "pod,workload,process";

constexpr std::array kCatalog{
    // Containers and pods (cgroups; on a bare host, systemd services and
    // top-level cgroups as containers).
    MetricInfo{"cpu_usage_cores", "cores", MetricKind::Gauge, kCgroup, "",
               "CPU time used per second of wall time (1.0 = one core busy)"},
    MetricInfo{"cpu_periods", "count", MetricKind::Counter, kCgroup, "",
               "CFS quota enforcement periods that elapsed while the cgroup ran (only with a CPU "
               "limit)"},
    MetricInfo{"cpu_throttled_periods", "count", MetricKind::Counter, kCgroup, "",
               "periods in which the cgroup used its whole quota and was throttled"},
    MetricInfo{"cpu_throttled_seconds", "seconds", MetricKind::Counter, kCgroup, "",
               "time the cgroup's threads spent throttled"},
    MetricInfo{"cpu_throttled_ratio", "ratio", MetricKind::Ratio, kCgroup, "",
               "cpu_throttled_periods / cpu_periods: the share of periods that hit the CPU limit",
               "cpu_throttled_periods", "cpu_periods"},
    MetricInfo{"memory_working_set_bytes", "bytes", MetricKind::Gauge, kCgroup, "",
               "memory usage minus inactive page cache: what the kubelet compares with the limit"},
    MetricInfo{"memory_rss_bytes", "bytes", MetricKind::Gauge, kCgroup, "",
               "anonymous memory (heap, stacks) of the cgroup"},
    MetricInfo{"memory_cache_bytes", "bytes", MetricKind::Gauge, kCgroup, "",
               "page cache charged to the cgroup"},
    MetricInfo{"memory_limit_bytes", "bytes", MetricKind::Gauge, kCgroup, "",
               "memory limit of the cgroup (absent when unlimited)"},
    MetricInfo{"oom_kills", "count", MetricKind::Counter, kCgroup, "",
               "processes the kernel OOM killer killed in the cgroup"},
    MetricInfo{"psi_cpu_some_percent", "percent", MetricKind::Gauge, kCgroup, "",
               "share of the last 10 s some task waited for CPU (pressure stall information)"},
    MetricInfo{"psi_memory_some_percent", "percent", MetricKind::Gauge, kCgroup, "",
               "share of the last 10 s some task stalled on memory"},
    MetricInfo{"psi_io_some_percent", "percent", MetricKind::Gauge, kCgroup, "",
               "share of the last 10 s some task stalled on IO"},
    // Nodes.
    MetricInfo{"node_cpu_cores", "cores", MetricKind::Gauge, "node", "mode",
               "CPU time per second by mode (user, nice, system, idle, iowait, irq, softirq, "
               "steal)"},
    MetricInfo{"node_cpu_usage_cores", "cores", MetricKind::Gauge, "node", "",
               "busy CPU time per second: every mode except idle and iowait"},
    MetricInfo{"node_cpu_count", "count", MetricKind::Gauge, "node", "", "online CPUs"},
    MetricInfo{"node_load1", "count", MetricKind::Gauge, "node", "", "1-minute load average"},
    MetricInfo{"node_load5", "count", MetricKind::Gauge, "node", "", "5-minute load average"},
    MetricInfo{"node_load15", "count", MetricKind::Gauge, "node", "", "15-minute load average"},
    MetricInfo{"node_memory_total_bytes", "bytes", MetricKind::Gauge, "node", "",
               "MemTotal of /proc/meminfo"},
    MetricInfo{"node_memory_available_bytes", "bytes", MetricKind::Gauge, "node", "",
               "MemAvailable of /proc/meminfo: what can be allocated without swapping"},
    MetricInfo{"node_disk_used_bytes", "bytes", MetricKind::Gauge, "node", "mount",
               "used space of a mounted block-device file system"},
    MetricInfo{"node_disk_free_bytes", "bytes", MetricKind::Gauge, "node", "mount",
               "space available to unprivileged users on the file system"},
    MetricInfo{"node_disk_read_bytes_per_second", "bytes/s", MetricKind::Gauge, "node", "device",
               "bytes read from a disk per second"},
    MetricInfo{"node_disk_written_bytes_per_second", "bytes/s", MetricKind::Gauge, "node", "device",
               "bytes written to a disk per second"},
    MetricInfo{"node_network_receive_bytes_per_second", "bytes/s", MetricKind::Gauge, "node",
               "interface", "bytes received per second"},
    MetricInfo{"node_network_transmit_bytes_per_second", "bytes/s", MetricKind::Gauge, "node",
               "interface", "bytes sent per second"},
    MetricInfo{"node_network_receive_packets_per_second", "packets/s", MetricKind::Gauge, "node",
               "interface", "packets received per second"},
    MetricInfo{"node_network_transmit_packets_per_second", "packets/s", MetricKind::Gauge, "node",
               "interface", "packets sent per second"},
    MetricInfo{"node_network_errors", "count", MetricKind::Counter, "node", "interface",
               "receive and transmit errors"},
    // TCP health per (local pod or process, remote peer): the server
    // "ip:port" for outgoing connections, the client "ip" for accepted ones.
    MetricInfo{"tcp_accepts", "count", MetricKind::Counter, kTcp, "peer",
               "incoming connections accepted from a client (peer: the client's ip)"},
    MetricInfo{"tcp_connects", "count", MetricKind::Counter, kTcp, "peer",
               "outgoing connections that were established"},
    MetricInfo{"tcp_connect_failures", "count", MetricKind::Counter, kTcp, "peer",
               "outgoing connections that failed (refused, timed out or reset before "
               "established)"},
    MetricInfo{"tcp_connect_refused", "count", MetricKind::Counter, kTcp, "peer",
               "failed connects the peer refused (RST to the SYN)"},
    MetricInfo{"tcp_connect_timeouts", "count", MetricKind::Counter, kTcp, "peer",
               "failed connects without an answer from the peer"},
    MetricInfo{"tcp_connect_time_seconds", "seconds", MetricKind::Gauge, kTcp, "peer",
               "mean time from SYN sent to established"},
    MetricInfo{"tcp_retransmits", "count", MetricKind::Counter, kTcp, "peer",
               "TCP segments retransmitted (outgoing and accepted connections)"},
    MetricInfo{"tcp_resets_sent", "count", MetricKind::Counter, kTcp, "peer",
               "RSTs sent (outgoing and accepted connections)"},
    MetricInfo{"tcp_resets_received", "count", MetricKind::Counter, kTcp, "peer",
               "RSTs received on established connections (outgoing and accepted)"},
    MetricInfo{"tcp_active_connections", "count", MetricKind::Gauge, kTcp, "peer",
               "established connections at sample time (outgoing and accepted)"},
};

}  // namespace

std::span<const MetricInfo> metric_catalog() { return kCatalog; }

const MetricInfo* find_metric(std::string_view name) {
  for (const MetricInfo& m : kCatalog)
    if (m.name == name) return &m;
  return nullptr;
}

std::string_view to_string(MetricKind k) {
  switch (k) {
    case MetricKind::Gauge:
      return "gauge";
    case MetricKind::Counter:
      return "counter";
    case MetricKind::Ratio:
      return "ratio";
  }
  return "gauge";
}

nlohmann::json to_json(const MetricSample& s) {
  nlohmann::json j{{"time_ns", s.time_ns},
                   {"entity", s.entity},
                   {"name", s.name},
                   {"metric", s.metric},
                   {"value", s.value}};
  if (!s.label.empty()) j["label"] = s.label;
  if (!s.workload.empty()) j["workload"] = s.workload;
  if (!s.pod_uid.empty()) j["pod_uid"] = s.pod_uid;
  if (!s.container_id.empty()) j["container_id"] = s.container_id;
  return j;
}

MetricSample metric_sample_from_json(const nlohmann::json& j) {
  MetricSample s;
  s.time_ns = j.value("time_ns", uint64_t{0});
  s.entity = j.value("entity", "");
  s.name = j.value("name", "");
  s.label = j.value("label", "");
  s.metric = j.value("metric", "");
  s.value = j.value("value", 0.0);
  s.workload = j.value("workload", "");
  s.pod_uid = j.value("pod_uid", "");
  s.container_id = j.value("container_id", "");
  return s;
}

}  // namespace loupe
