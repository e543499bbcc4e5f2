// The agent's resource-metrics loop: every interval (`--metrics-interval`,
// default 10 s) it samples the node and the cgroups worth watching, adds
// the TCP health counted since the last tick, and hands the samples to a
// sink (the store in `loupe run`, the server in `loupe agent`); OOM kills go
// to the same sink as soon as they are seen. One thread: between ticks it
// sleeps on the OOM and TCP ring buffers (wait_set.h).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/metrics/cgroup_sampler.h"
#include "agent/metrics/node_sampler.h"
#include "agent/metrics/oom_tracer.h"
#include "agent/metrics/tcp_health.h"
#include "agent/metrics/tcp_tracer.h"
#include "agent/metrics/wait_set.h"
#include "core/metric.h"
#include "core/oom_kill.h"

namespace loupe::metrics {

struct MetricsOptions {
  std::chrono::milliseconds interval{10'000};
  std::string node;     // names the node's series and OOM kills
  CgroupMounts mounts;  // host_cgroup_mounts() on a real host
  std::string proc_root = "/proc";
  bool trace_oom = true;  // the oom/mark_victim tracepoint; else cgroup counters only
  bool trace_tcp = true;  // TCP health tracepoints (tcp_* metrics)
};

class MetricsSampler {
 public:
  // Called on the sampler thread; may move from its arguments.
  using Sink = std::function<void(std::vector<MetricSample>& samples, std::vector<OomKill>& kills)>;

  MetricsSampler(MetricsOptions opts, Sink sink);
  ~MetricsSampler();  // stops

  void start();
  void stop();
  // One tick now, on the caller's thread (tests, benchmarks).
  void tick();

  nlohmann::json status() const;

 private:
  void run();
  OomKill kill_from_counter(const CgroupOomDelta& d, uint64_t now_ns) const;
  void on_oom(const OomTraceEvent& e);
  void on_tcp(const TcpEvent& e);
  // The path of the cgroup with this id (memory hierarchy, else v2), from a
  // cache refilled by walking the tree on a miss; "" when not found.
  const std::string& cgroup_path(uint64_t id);

  MetricsOptions opts_;
  Sink sink_;
  CgroupSampler cgroups_;
  NodeSampler node_;
  OomTracer oom_;
  std::string oom_error_;  // why the tracepoint is not used
  TcpTracer tcp_;
  std::string tcp_error_;
  WaitSet wait_;          // the rings above and stop()
  TcpHealth tcp_health_;  // sampler thread only
  std::atomic<uint64_t> tcp_unowned_{0};
  std::unordered_map<uint64_t, std::string> cgroup_paths_;  // sampler thread only

  mutable std::mutex mu_;  // stats below
  std::atomic<bool> stopping_{false};
  uint64_t ticks_ = 0, samples_ = 0, oom_kills_ = 0;
  double last_tick_ms_ = 0;
  CgroupSamplerStats cgroup_stats_;
  NodeSamplerStats node_stats_;
  uint64_t tcp_dropped_ = 0;
  std::thread thread_;
};

}  // namespace loupe::metrics
