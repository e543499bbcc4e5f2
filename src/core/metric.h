// Resource and TCP-health metrics: one sample of one series, and the catalog
// of metric names (stable, documented in docs/metrics.md). The agent
// produces samples (src/agent/metrics/), the server names their Kubernetes
// entities and the store keeps them as time series (src/store/metric_tables.*).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace loupe {

// One value of one series at one time. A series is (entity, name, label,
// metric): e.g. ("container", "shop/api-6f7d8-aaaaa/api", "", "cpu_usage_cores")
// or ("node", "node-1", "/var", "node_disk_free_bytes").
struct MetricSample {
  uint64_t time_ns = 0;
  std::string entity;  // "node" | "pod" | "container" | "process"
  std::string name;    // the entity's name (see docs/metrics.md, "Entities")
  std::string label;   // second key: cpu mode, mount, device, interface or TCP peer; "" otherwise
  std::string metric;  // a catalog name
  double value = 0;
  // Pods and containers: the workload ("namespace/Kind/name") once the
  // server has named them; a workload's series are the sum of its pods'.
  std::string workload;
  // Set by the agent for kubepods cgroups (the server turns them into names
  // from the cluster model), empty elsewhere.
  std::string pod_uid, container_id;
};

nlohmann::json to_json(const MetricSample& s);
// Missing keys keep their defaults; wrong types throw nlohmann::json::exception.
MetricSample metric_sample_from_json(const nlohmann::json& j);

// How a series' samples combine into one value per time bucket.
enum class MetricKind {
  Gauge,    // a level (bytes, cores, a rate): the mean of the bucket's samples
  Counter,  // events per sample interval (kills, failures): the bucket's sum
  Ratio,    // numerator / denominator, both Counters, summed over the bucket first
};

struct MetricInfo {
  std::string_view name;
  std::string_view unit;  // "cores", "bytes", "bytes/s", "count", "ratio", "percent", "seconds"
  MetricKind kind;
  std::string_view entities;  // which entities carry it, e.g. "pod,container,workload"
  std::string_view label;     // what the label is ("mode", "mount", "peer"...), "" when none
  std::string_view help;
  std::string_view numerator = {}, denominator = {};  // Ratio only
};

std::span<const MetricInfo> metric_catalog();
const MetricInfo* find_metric(std::string_view name);
std::string_view to_string(MetricKind k);

}  // namespace loupe
