// Always-on profiling in `loupe agent` and `loupe run`: a thread that
// drains and names the sampled stacks every few seconds, attributes each
// process to its container and pod (/proc/PID/cgroup, k8s/cgroup_path.h),
// adds them up per process per minute, and hands what it holds to a sink
// (the store in `loupe run`, the server in `loupe agent`) every ship
// interval. A minute is shipped in parts: the store adds them up. Each
// part has a sequence number; a part the sink does not take is offered
// again unchanged, with its number, before anything newer (what was
// collected meanwhile waits for the next part), so a server that stored it
// but whose answer was lost recognises it (the agent's batch key) and does
// not add it twice. Within a byte budget; past it the part held back, then
// the oldest minutes, are dropped, counted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
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
  // Gets a part (never empty) and its sequence number (1, 2, ... per
  // profiler) on the profiler's thread; returns true when it took them,
  // false to have the same part offered again, same number.
  using Sink = std::function<bool(std::vector<ProfileMinute>& minutes, uint64_t seq)>;

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
  // Offers the part held back, then what is held, to the sink.
  void ship();
  // Offers one part; true when the sink took it.
  bool offer_next();
  void enforce_budget();  // under mu_

  struct Part {
    std::vector<ProfileMinute> minutes;
    uint64_t seq = 0;
  };

  ContinuousOptions opts_;
  Sink sink_;
  Profiler profiler_;
  mutable std::mutex mu_;                 // pending_ and counters_
  std::map<Key, ProfileMinute> pending_;  // oldest minute first
  std::optional<Part> unsent_;            // offered, not taken: offered again first
  uint64_t last_seq_ = 0;
  ContinuousCounters counters_;
  SymbolizerCounters symbols_;  // the profiler thread's, copied after each collection
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::profile
