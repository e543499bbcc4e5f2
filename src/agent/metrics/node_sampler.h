// Node metrics from /proc (docs/metrics.md, "Node"): CPU time by mode
// (/proc/stat), load (/proc/loadavg), memory (/proc/meminfo), each mounted
// block-device file system (statvfs of /proc/1/mounts entries through
// /proc/1/root), disk IO (/proc/diskstats) and each interface's traffic
// (/proc/1/net/dev): PID 1's mounts and network namespace are the host's,
// also for an agent in a container (hostPID). Counters
// become per-second rates against the previous tick.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/metric.h"

namespace loupe::metrics {

struct NodeSamplerStats {
  uint64_t malformed = 0;  // /proc files or lines that did not parse (skipped)
};

class NodeSampler {
 public:
  // `proc_root` is "/proc" on a real host (a directory of fake files in tests).
  explicit NodeSampler(std::string node, std::string proc_root = "/proc");

  void sample(uint64_t now_ns, uint64_t mono_ns, std::vector<MetricSample>& out);
  const NodeSamplerStats& stats() const { return stats_; }

 private:
  void cpu(std::vector<MetricSample>& out, double dt_s);
  void memory_and_load(std::vector<MetricSample>& out);
  void disks(std::vector<MetricSample>& out, double dt_s);
  void network(std::vector<MetricSample>& out, double dt_s);
  void emit(std::vector<MetricSample>& out, const char* metric, double value,
            const std::string& label = "");

  std::string node_, proc_;
  uint64_t now_ns_ = 0, prev_mono_ns_ = 0;
  double ticks_per_s_;
  std::vector<uint64_t> prev_cpu_;                                     // /proc/stat "cpu" columns
  std::map<std::string, std::vector<uint64_t>> prev_disk_, prev_net_;  // counters per device
  NodeSamplerStats stats_;
};

}  // namespace loupe::metrics
