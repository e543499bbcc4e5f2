// Samples the cgroups worth watching every tick and turns their counters
// into metric samples (core/metric.h): on Kubernetes every pod and container
// cgroup under kubepods (identity from the path, k8s/cgroup_path.h), on a
// bare host every top-level cgroup and every systemd service. Rates (CPU
// cores, throttled periods per interval, OOM kills) are deltas against the
// previous tick, so a cgroup's first tick gives levels only.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/metrics/cgroup_stats.h"
#include "core/metric.h"
#include "k8s/cgroup_path.h"

namespace loupe::metrics {

struct CgroupTarget {
  std::string path;                 // inside each hierarchy, e.g. "/system.slice/nginx.service"
  std::string entity;               // "pod" or "container"
  k8s::ContainerIdentity identity;  // empty outside kubepods
};

// The cgroups to sample under `walk_root` (CgroupMounts::walk_root()).
std::vector<CgroupTarget> discover_cgroups(const std::string& walk_root);

struct CgroupSamplerStats {
  uint64_t ticks = 0;
  uint64_t cgroups = 0;    // sampled in the last tick
  uint64_t vanished = 0;   // cgroups gone between discovery and read (skipped)
  uint64_t malformed = 0;  // cgroups with a file that did not parse (its fields skipped)
};

// A cgroup whose OOM-kill counter moved this tick (for OOM events where the
// tracepoint is missing).
struct CgroupOomDelta {
  const CgroupTarget* target;
  uint64_t kills;
  CgroupStats stats;
};

class CgroupSampler {
 public:
  explicit CgroupSampler(CgroupMounts mounts) : mounts_(std::move(mounts)) {}

  // Appends this tick's samples (time now_ns, monotonic time mono_ns for rates).
  void sample(uint64_t now_ns, uint64_t mono_ns, std::vector<MetricSample>& out,
              std::vector<CgroupOomDelta>* oom = nullptr);
  const CgroupSamplerStats& stats() const { return stats_; }
  const CgroupMounts& mounts() const { return mounts_; }
  // The last stats read for a cgroup path (for OOM events), if any.
  const CgroupStats* last(const std::string& path) const;

 private:
  struct Previous {
    CgroupStats stats;
    uint64_t mono_ns = 0;
    uint64_t tick = 0;
  };
  CgroupMounts mounts_;
  std::vector<CgroupTarget> targets_;
  std::unordered_map<std::string, Previous> prev_;
  CgroupSamplerStats stats_;
};

}  // namespace loupe::metrics
