// Always-on profiling in `loupe agent` and `loupe run`: a thread that
// drains and names the sampled stacks every few seconds, attributes each
// process to its container and pod (/proc/PID/cgroup, k8s/cgroup_path.h),
// adds them up per process per minute, and hands what it holds to a sink
// (the store in `loupe run`, the server in `loupe agent`) every ship
// interval. A minute is shipped in parts: the store adds them up. What
// the sink does not take is kept and sent again with the next part, within
// a byte budget; past it the oldest minutes are dropped, counted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "agent/profile/profiler.h"
#include "core/profile_minute.h"

namespace loupe::profile {

struct ContinuousOptions {
  ProfilerOptions profiler;
  std::string node;  // names the samples' node
  std::string proc_root = "/proc";
  std::chrono::milliseconds collect_every{5'000};  // drain and name the sampled stacks
  std::chrono::milliseconds ship_every{10'000};    // hand what is held to the sink
  size_t max_pending_bytes = 16 << 20;             // aggregated stacks held for the sink
};

struct ContinuousCounters {
  uint64_t samples = 0;          // named and aggregated
  uint64_t samples_shipped = 0;  // taken by the sink
  uint64_t samples_dropped = 0;  // held past the byte budget, oldest first
  uint64_t ship_failures = 0;    // sink calls that did not take the minutes
  uint64_t pending_bytes = 0;
};

class ContinuousProfiler {
 public:
  // Gets the minutes held (never empty) on the profiler's thread; returns
  // true when it took them, false to have them kept and offered again.
  using Sink = std::function<bool(std::vector<ProfileMinute>& minutes)>;

  ContinuousProfiler(ContinuousOptions opts, Sink sink);
  ~ContinuousProfiler();  // stops
  ContinuousProfiler(const ContinuousProfiler&) = delete;
  ContinuousProfiler& operator=(const ContinuousProfiler&) = delete;

  // Attaches the sampler (throws AgentError saying what is missing) and
  // starts the thread.
  void start();
  // Collects and ships what was sampled up to now, then stops.
  void stop();

  ContinuousCounters counters() const;
  nlohmann::json status() const;  // for /api/v1/status and the agent's report

 private:
  using Key = std::tuple<uint64_t, uint32_t, std::string>;  // minute, pid, process
  void run();
  // Drains and names the sampled stacks into the minute of `now_s`.
  void collect(uint64_t now_s);
  // Offers what is held to the sink.
  void ship();
  void enforce_budget();  // under mu_

  ContinuousOptions opts_;
  Sink sink_;
  Profiler profiler_;
  mutable std::mutex mu_;                 // pending_ and counters_
  std::map<Key, ProfileMinute> pending_;  // oldest minute first
  ContinuousCounters counters_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::profile
