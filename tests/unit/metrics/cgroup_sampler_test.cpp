// The cgroup reader and sampler against fake cgroup trees in a temp dir:
// cgroup v1 (separate controller mounts, as in hybrid mode) and v2, bad
// files and cgroups that vanish.
#include "agent/metrics/cgroup_sampler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "agent/metrics/metrics_sampler.h"

namespace loupe::metrics {
namespace {

namespace fs = std::filesystem;

class FakeTree {
 public:
  FakeTree() {
    std::string tmpl = (fs::temp_directory_path() / "loupe-cg-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
  }
  ~FakeTree() { fs::remove_all(root_); }
  std::string dir(const std::string& rel) const { return root_ + rel; }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(root_ + rel).parent_path());
    std::ofstream(root_ + rel) << text;
  }

 private:
  std::string root_;
};

constexpr const char* kPod = "/kubepods/burstable/pod1b4e0c3a-5d7e-4a55-9f0e-2f7c1b9a3e11";
constexpr const char* kCid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// One v1 cgroup: cpuacct/cpu/memory files.
void v1_cgroup(const FakeTree& t, const std::string& path, uint64_t usage_ns, uint64_t periods,
               uint64_t throttled, uint64_t oom_kills) {
  t.write("/cpuacct" + path + "/cgroup.procs", "");
  t.write("/cpuacct" + path + "/cpuacct.usage", std::to_string(usage_ns) + "\n");
  t.write("/cpu" + path + "/cpu.stat", "nr_periods " + std::to_string(periods) + "\nnr_throttled " +
                                           std::to_string(throttled) +
                                           "\nthrottled_time 5000000\n");
  t.write("/memory" + path + "/cgroup.procs", "");
  t.write("/memory" + path + "/memory.usage_in_bytes", "104857600\n");
  t.write("/memory" + path + "/memory.stat",
          "cache 1\nrss 2\ntotal_cache 41943040\ntotal_rss 52428800\n"
          "total_inactive_file 20971520\n");
  t.write("/memory" + path + "/memory.limit_in_bytes", "134217728\n");
  t.write("/memory" + path + "/memory.max_usage_in_bytes", "130000000\n");
  t.write("/memory" + path + "/memory.oom_control",
          "oom_kill_disable 0\nunder_oom 0\noom_kill " + std::to_string(oom_kills) + "\n");
  t.write("/unified" + path + "/cgroup.procs", "");
  t.write("/unified" + path + "/cpu.pressure",
          "some avg10=12.50 avg60=3.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 "
          "avg300=0.00 total=0\n");
}

CgroupMounts v1_mounts(const FakeTree& t) {
  std::string mountinfo =
      "32 31 0:29 / /cpu rw - cgroup cgroup rw,cpu\n"
      "33 31 0:30 / /cpuacct rw - cgroup cgroup rw,cpuacct\n"
      "35 31 0:32 / /memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /unified rw,relatime - cgroup2 cgroup2 rw\n";
  return parse_mountinfo(mountinfo, t.dir(""));
}

// Samples by "entity name metric".
std::map<std::string, double> by_key(const std::vector<MetricSample>& v) {
  std::map<std::string, double> out;
  for (const auto& s : v) out[s.entity + " " + s.name + " " + s.metric] = s.value;
  return out;
}

TEST(CgroupMounts, HybridMountinfo) {
  FakeTree t;
  t.write("/unified/cgroup.controllers", "\n");
  CgroupMounts m = v1_mounts(t);
  EXPECT_EQ(m.cpu, t.dir("/cpu"));
  EXPECT_EQ(m.cpuacct, t.dir("/cpuacct"));
  EXPECT_EQ(m.memory, t.dir("/memory"));
  EXPECT_EQ(m.v2, t.dir("/unified"));
  EXPECT_FALSE(m.v2_cpu);
  EXPECT_EQ(m.walk_root(), t.dir("/memory"));
}

TEST(CgroupMounts, LaterMountShadowsEarlier) {
  // A container: the runtime's namespaced cgroup2, then the host's mounted later.
  CgroupMounts m = parse_mountinfo(
      "600 500 0:30 /../.. /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n"
      "700 600 0:30 / /host/sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
      "701 700 0:31 / /host/proc rw - proc proc rw\n",
      "/nonexistent");
  EXPECT_EQ(m.v2, "/nonexistent/host/sys/fs/cgroup");
  EXPECT_TRUE(m.memory.empty());
  EXPECT_EQ(m.walk_root(), m.v2);
}

TEST(CgroupSampler, V1PodsAndContainersWithRatesFromDeltas) {
  FakeTree t;
  std::string container = std::string(kPod) + "/" + kCid;
  v1_cgroup(t, kPod, 1'000'000'000, 100, 10, 0);
  v1_cgroup(t, container, 1'000'000'000, 100, 10, 0);
  v1_cgroup(t, "/system.slice", 0, 0, 0, 0);
  v1_cgroup(t, "/system.slice/nginx.service", 0, 0, 0, 0);
  v1_cgroup(t, "/system.slice/tmp.mount", 0, 0, 0, 0);
  CgroupSampler sampler(v1_mounts(t));
  std::vector<MetricSample> first, second;
  sampler.sample(1, 1'000'000'000, first);
  auto f = by_key(first);
  EXPECT_EQ(f.count("container " + container + " cpu_usage_cores"), 0u) << "no rate on tick 1";
  EXPECT_DOUBLE_EQ(f["container " + container + " memory_working_set_bytes"], 83886080);
  EXPECT_DOUBLE_EQ(f["container " + container + " memory_rss_bytes"], 52428800);
  EXPECT_DOUBLE_EQ(f["container " + container + " memory_cache_bytes"], 41943040);
  EXPECT_DOUBLE_EQ(f["container " + container + " memory_limit_bytes"], 134217728);
  EXPECT_DOUBLE_EQ(f["container " + container + " psi_cpu_some_percent"], 12.5);
  EXPECT_TRUE(f.count("container /system.slice/nginx.service memory_rss_bytes"));
  EXPECT_FALSE(f.count("container /system.slice/tmp.mount memory_rss_bytes")) << "not a service";
  EXPECT_TRUE(f.count(std::string("pod ") + kPod + " memory_rss_bytes"));

  // 10 s later: 2 more CPU-seconds (0.2 cores), 100 periods of which 80 throttled, one OOM kill.
  v1_cgroup(t, container, 3'000'000'000, 200, 90, 1);
  std::vector<CgroupOomDelta> oom;
  sampler.sample(2, 11'000'000'000, second, &oom);
  auto s = by_key(second);
  EXPECT_DOUBLE_EQ(s["container " + container + " cpu_usage_cores"], 0.2);
  EXPECT_DOUBLE_EQ(s["container " + container + " cpu_periods"], 100);
  EXPECT_DOUBLE_EQ(s["container " + container + " cpu_throttled_periods"], 80);
  EXPECT_DOUBLE_EQ(s["container " + container + " oom_kills"], 1);
  EXPECT_DOUBLE_EQ(s[std::string("pod ") + kPod + " oom_kills"], 1)
      << "v1: the pod counts its containers'";
  EXPECT_FALSE(s.count("container /system.slice/nginx.service cpu_periods")) << "no CPU limit";
  ASSERT_EQ(oom.size(), 1u) << "one event per kill, not one for the pod too";
  EXPECT_EQ(oom[0].target->identity.container_id, kCid);
  EXPECT_EQ(*oom[0].stats.memory_limit, 134217728u);
  for (const auto& m : second)
    if (m.name == container) {
      EXPECT_EQ(m.container_id, kCid);
    }
  EXPECT_EQ(sampler.stats().malformed, 0u);
  EXPECT_EQ(sampler.stats().cgroups, 4u);  // pod, container, system.slice, nginx.service
}

TEST(CgroupSampler, V2UnifiedTree) {
  FakeTree t;
  t.write("/cg/cgroup.controllers", "cpuset cpu io memory pids\n");
  std::string svc = "/system.slice/postgres.service";
  auto write = [&](uint64_t usage_us, uint64_t periods, uint64_t throttled) {
    t.write("/cg" + svc + "/cgroup.procs", "");
    t.write("/cg" + svc + "/cpu.stat", "usage_usec " + std::to_string(usage_us) +
                                           "\nuser_usec 1\nsystem_usec 1\nnr_periods " +
                                           std::to_string(periods) + "\nnr_throttled " +
                                           std::to_string(throttled) + "\nthrottled_usec 300\n");
    t.write("/cg" + svc + "/memory.current", "1000000\n");
    t.write("/cg" + svc + "/memory.stat", "anon 600000\nfile 300000\ninactive_file 100000\n");
    t.write("/cg" + svc + "/memory.max", "max\n");
    t.write("/cg" + svc + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  };
  write(1'000'000, 10, 1);
  CgroupMounts m = parse_mountinfo("41 31 0:38 / /cg rw - cgroup2 cgroup2 rw\n", t.dir(""));
  EXPECT_TRUE(m.v2_cpu && m.v2_memory);
  CgroupSampler sampler(m);
  std::vector<MetricSample> first, second;
  sampler.sample(1, 1'000'000'000, first);
  write(1'500'000, 20, 6);
  sampler.sample(2, 2'000'000'000, second);
  auto s = by_key(second);
  std::string k = "container " + svc + " ";
  EXPECT_DOUBLE_EQ(s[k + "cpu_usage_cores"], 0.5);
  EXPECT_DOUBLE_EQ(s[k + "cpu_throttled_periods"], 5);
  EXPECT_DOUBLE_EQ(s[k + "memory_working_set_bytes"], 900000);
  EXPECT_DOUBLE_EQ(s[k + "memory_rss_bytes"], 600000);
  EXPECT_FALSE(s.count(k + "memory_limit_bytes")) << "max = unlimited";
  EXPECT_DOUBLE_EQ(s[k + "oom_kills"], 0);
}

TEST(CgroupSampler, MalformedFilesAreCountedAndTheRestKept) {
  FakeTree t;
  std::string p = "/system.slice/bad.service";
  v1_cgroup(t, p, 1, 0, 0, 0);
  t.write("/memory" + p + "/memory.stat", "total_rss banana\n\x01\x02garbage");
  t.write("/memory" + p + "/memory.limit_in_bytes", "-12\n");
  t.write("/cpuacct" + p + "/cpuacct.usage", "");
  CgroupSampler sampler(v1_mounts(t));
  std::vector<MetricSample> out;
  sampler.sample(1, 1, out);
  auto s = by_key(out);
  EXPECT_GE(sampler.stats().malformed, 1u);
  EXPECT_FALSE(s.count("container " + p + " memory_rss_bytes"));
  EXPECT_FALSE(s.count("container " + p + " memory_limit_bytes"));
  EXPECT_TRUE(s.count("container " + p + " memory_working_set_bytes"));  // usage still parsed
}

TEST(CgroupSampler, VanishedCgroupIsCountedAndSkipped) {
  FakeTree t;
  std::string p = "/system.slice/gone.service";
  v1_cgroup(t, p, 1, 0, 0, 0);
  CgroupMounts m = v1_mounts(t);
  CgroupStats stats;
  fs::remove_all(t.dir("/memory" + p));
  EXPECT_EQ(read_cgroup(m, p, stats), ReadStatus::Vanished);
  // Gone from every hierarchy: discovery no longer lists it.
  fs::remove_all(t.dir("/cpu" + p));
  fs::remove_all(t.dir("/cpuacct" + p));
  CgroupSampler sampler(m);
  std::vector<MetricSample> out;
  sampler.sample(1, 1, out);
  for (const auto& s : out) EXPECT_NE(s.name, p);
}

TEST(CgroupFiles, Parsers) {
  EXPECT_EQ(keyed_value("a 1\nab 2\nb 3\n", "ab"), 2u);
  EXPECT_FALSE(keyed_value("a 1\n", "b"));
  EXPECT_FALSE(keyed_value("a x\n", "a"));
  bool unlimited = false;
  EXPECT_FALSE(single_value("max\n", &unlimited));
  EXPECT_TRUE(unlimited);
  EXPECT_FALSE(single_value("9223372036854771712\n", &unlimited));
  EXPECT_TRUE(unlimited);
  EXPECT_EQ(single_value("4096\n"), 4096u);
  EXPECT_EQ(psi_some_avg10("some avg10=1.25 avg60=0 avg300=0 total=9\n"), 1.25);
  EXPECT_FALSE(psi_some_avg10("full avg10=1.25\n"));
  EXPECT_FALSE(psi_some_avg10("some avg10=\n"));
}

}  // namespace
}  // namespace loupe::metrics

namespace loupe::metrics {
namespace {

TEST(MetricsSampler, OomKillsFromCountersWhenTheTracepointIsNotUsed) {
  FakeTree t;
  std::string container = std::string(kPod) + "/" + kCid;
  v1_cgroup(t, kPod, 1, 0, 0, 0);
  v1_cgroup(t, container, 1, 0, 0, 0);
  MetricsOptions opts;
  opts.node = "node-1";
  opts.mounts = v1_mounts(t);
  opts.proc_root = t.dir("/no-proc");
  opts.trace_oom = false;
  opts.trace_tcp = false;
  std::vector<OomKill> kills;
  MetricsSampler sampler(opts, [&kills](std::vector<MetricSample>&, std::vector<OomKill>& k) {
    kills.insert(kills.end(), k.begin(), k.end());
  });
  sampler.tick();
  v1_cgroup(t, container, 1, 0, 0, 1);
  sampler.tick();
  ASSERT_EQ(kills.size(), 1u) << "one kill: the container's, not the pod's sum too";
  EXPECT_EQ(kills[0].cgroup, container);
  EXPECT_EQ(kills[0].container_id, kCid);
  EXPECT_EQ(kills[0].pod_uid, "1b4e0c3a-5d7e-4a55-9f0e-2f7c1b9a3e11");
  EXPECT_EQ(kills[0].pid, 0u) << "a counter does not say who";
  EXPECT_EQ(kills[0].memory_limit_bytes, 134217728u);
  EXPECT_EQ(kills[0].memory_usage_bytes, 130000000u) << "the peak";
  EXPECT_EQ(kills[0].node, "node-1");
}

}  // namespace
}  // namespace loupe::metrics
