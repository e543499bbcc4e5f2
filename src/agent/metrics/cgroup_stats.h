// One cgroup's resource counters, read from whichever hierarchy holds each
// controller (cgroup_files.h). Missing files leave a field empty (a cgroup
// without a CPU limit has no throttling); a cgroup that disappears while it
// is read, or a file that does not parse, is reported so the caller counts
// and skips it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/metrics/cgroup_files.h"

namespace loupe::metrics {

struct CgroupStats {
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<uint64_t> cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
  std::optional<uint64_t> memory_usage, memory_inactive_file, memory_rss, memory_cache;
  std::optional<uint64_t> memory_limit;               // empty when unlimited
  std::optional<uint64_t> memory_peak;                // v1 max_usage_in_bytes, v2 memory.peak
  std::optional<uint64_t> oom_kills;                  // cumulative
  std::optional<double> psi_cpu, psi_memory, psi_io;  // "some" avg10, percent
};

enum class ReadStatus {
  Ok,
  Vanished,   // the cgroup's directory is gone
  Malformed,  // a file was there but did not parse; what did parse is kept
};

// `path` is the cgroup's path inside each hierarchy, e.g.
// "/kubepods/burstable/pod<uid>/<id>".
ReadStatus read_cgroup(const CgroupMounts& mounts, const std::string& path, CgroupStats& out);

}  // namespace loupe::metrics
