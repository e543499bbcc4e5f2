// The resource metrics of the agents (CPU, memory, throttling, OOM kills,
// node disk and network, TCP health; docs/metrics.md) for Prometheus: the
// latest sample of each series as a gauge, or the running total of a
// counter, named after the entity the way OpenTelemetry's conventions
// prefix them:
//
//   node       node_load1{k8s_node_name}  (catalog names already start with node_)
//   pod        k8s_pod_cpu_usage_cores{k8s_namespace_name, k8s_pod_name, service_name}
//   container  container_memory_working_set_bytes{k8s_namespace_name, k8s_pod_name,
//              k8s_container_name, service_name} (bare host: {cgroup_path})
//   process    process_tcp_retransmits_total{process_executable_name, network_peer_address}
//
// Ratios are left out (rate() of their two counters gives them). A series
// not sampled for 5 minutes is dropped (its pod is gone); at most
// `max_series` are kept, later ones are counted in loupe_resource_series_dropped_total.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/metric.h"
#include "export/exposition.h"

namespace loupe::exporting {

struct ResourceMetricsOptions {
  size_t max_series = 20'000;
  uint64_t stale_after_ns = 300'000'000'000;  // 5 min
};

class ResourceMetrics {
 public:
  explicit ResourceMetrics(ResourceMetricsOptions options = {}) : options_(options) {}

  // Samples as the server stores them (named, workload set).
  void update(const std::vector<MetricSample>& samples);
  void write(ExpositionWriter& w, uint64_t now_ns);

 private:
  // (metric, entity, name, label): sorted by metric so each family is contiguous.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Value {
    double value = 0;  // a gauge's latest, a counter's total
    uint64_t time_ns = 0;
    std::string workload;
  };

  ResourceMetricsOptions options_;
  std::mutex mu_;
  std::map<Key, Value> series_;
  uint64_t dropped_ = 0;
};

}  // namespace loupe::exporting
