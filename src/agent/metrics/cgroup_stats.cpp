#include "agent/metrics/cgroup_stats.h"

#include <cerrno>

#include "core/small_file.h"

namespace loupe::metrics {

namespace {

// Reads files of one cgroup and remembers how the reads went.
class Reader {
 public:
  // True with `text` filled when the file was read. A missing file is
  // normal (a controller or feature the cgroup lacks) unless the cgroup's
  // directory itself is gone, which read_cgroup checks once at the end.
  bool read(const std::string& dir, const char* file) {
    if (dir.empty()) return false;
    if (read_small_file(dir + "/" + file, text)) return true;
    if (errno != ENOENT && errno != ENODEV && errno != EOPNOTSUPP) malformed = true;
    return false;
  }
  // A keyed value the file must have.
  std::optional<uint64_t> need(std::string_view key) {
    auto v = keyed_value(text, key);
    if (!v) malformed = true;
    return v;
  }

  std::string text;
  bool malformed = false;
};

bool dir_exists(const std::string& dir) {
  std::string ignored;
  return !dir.empty() && (read_small_file(dir + "/cgroup.procs", ignored) || errno != ENOENT);
}

}  // namespace

ReadStatus read_cgroup(const CgroupMounts& m, const std::string& path, CgroupStats& out) {
  out = {};
  Reader r;
  auto dir = [&path](const std::string& mount) { return mount.empty() ? mount : mount + path; };
  const std::string v2 = dir(m.v2);

  // CPU time: v2 cpu.stat has usage_usec in every cgroup (with or without
  // the cpu controller); v1 cpuacct.usage is nanoseconds.
  std::string cpuacct = dir(m.cpuacct.empty() ? m.cpu : m.cpuacct);
  if (!cpuacct.empty() && r.read(cpuacct, "cpuacct.usage")) {
    out.cpu_usage_ns = single_value(r.text);
    if (!out.cpu_usage_ns) r.malformed = true;
  } else if (r.read(v2, "cpu.stat")) {
    if (auto us = r.need("usage_usec")) out.cpu_usage_ns = *us * 1000;
  }
  // Throttling: the cpu controller's cpu.stat (v1: throttled_time in ns;
  // v2: throttled_usec). nr_periods stays 0 without a quota.
  if (!m.cpu.empty() ? r.read(dir(m.cpu), "cpu.stat") : m.v2_cpu && r.read(v2, "cpu.stat")) {
    out.cpu_periods = r.need("nr_periods");
    out.cpu_throttled_periods = r.need("nr_throttled");
    if (m.cpu.empty()) {
      if (auto us = r.need("throttled_usec")) out.cpu_throttled_ns = *us * 1000;
    } else {
      out.cpu_throttled_ns = r.need("throttled_time");
    }
  }

  if (!m.memory.empty()) {  // v1
    std::string mem = dir(m.memory);
    if (r.read(mem, "memory.usage_in_bytes")) {
      out.memory_usage = single_value(r.text);
      if (!out.memory_usage) r.malformed = true;
    }
    if (r.read(mem, "memory.stat")) {
      // total_* include child cgroups (a pod's containers), like v2's numbers.
      out.memory_rss = r.need("total_rss");
      out.memory_cache = r.need("total_cache");
      out.memory_inactive_file = r.need("total_inactive_file");
    }
    bool unlimited = false;
    if (r.read(mem, "memory.limit_in_bytes")) {
      out.memory_limit = single_value(r.text, &unlimited);
      if (!out.memory_limit && !unlimited) r.malformed = true;
    }
    if (r.read(mem, "memory.max_usage_in_bytes")) out.memory_peak = single_value(r.text);
    if (r.read(mem, "memory.oom_control")) out.oom_kills = keyed_value(r.text, "oom_kill");
  } else if (m.v2_memory) {
    if (r.read(v2, "memory.current")) {
      out.memory_usage = single_value(r.text);
      if (!out.memory_usage) r.malformed = true;
    }
    if (r.read(v2, "memory.stat")) {
      out.memory_rss = r.need("anon");
      out.memory_cache = r.need("file");
      out.memory_inactive_file = r.need("inactive_file");
    }
    bool unlimited = false;
    if (r.read(v2, "memory.max")) {
      out.memory_limit = single_value(r.text, &unlimited);
      if (!out.memory_limit && !unlimited) r.malformed = true;
    }
    if (r.read(v2, "memory.peak")) out.memory_peak = single_value(r.text);
    if (r.read(v2, "memory.events")) out.oom_kills = r.need("oom_kill");
  }

  // Pressure stall information lives in the v2 tree only (also in hybrid
  // mode, when the kernel has PSI).
  auto psi = [&r, &v2](const char* file, std::optional<double>& field) {
    if (!r.read(v2, file)) return;
    field = psi_some_avg10(r.text);
    if (!field) r.malformed = true;
  };
  psi("cpu.pressure", out.psi_cpu);
  psi("memory.pressure", out.psi_memory);
  psi("io.pressure", out.psi_io);

  if (!dir_exists(dir(m.walk_root()))) return ReadStatus::Vanished;
  return r.malformed ? ReadStatus::Malformed : ReadStatus::Ok;
}

}  // namespace loupe::metrics
