#include "agent/profile/continuous_profiler.h"

#include "core/burst_yield.h"
#include "core/thread_name.h"
#include "core/time_format.h"
#include "k8s/cgroup_path.h"

namespace loupe::profile {

ContinuousProfiler::ContinuousProfiler(ContinuousOptions opts, Sink sink)
    : opts_(std::move(opts)), sink_(std::move(sink)), profiler_(opts_.profiler) {}

ContinuousProfiler::~ContinuousProfiler() { stop(); }

void ContinuousProfiler::start() {
  profiler_.start();
  thread_ = std::thread([this] { run(); });
}

void ContinuousProfiler::stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_ || !thread_.joinable()) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void ContinuousProfiler::run() {
  // Named so its CPU can be told apart (bench/profile_overhead.sh, top -H).
  name_this_thread("loupe-profile");
  // Symbolizing a round's stacks (core/burst_yield.h).
  BurstYield bursts;
  install_burst_yield(&bursts);
  auto next_ship = std::chrono::steady_clock::now() + opts_.ship_every;
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, opts_.collect_every, [this] { return stopping_; });
    bool last = stopping_;
    lock.unlock();
    collect(now_unix_ns() / 1'000'000'000ULL);
    if (last || std::chrono::steady_clock::now() >= next_ship) {
      ship();
      next_ship = std::chrono::steady_clock::now() + opts_.ship_every;
    }
    lock.lock();
  }
}

void ContinuousProfiler::collect(uint64_t now_s) {
  std::vector<ProcessProfile> processes = profiler_.collect();
  uint64_t minute = now_s / 60 * 60;
  std::lock_guard lock(mu_);
  symbols_ = profiler_.symbolizer_counters();
  for (ProcessProfile& p : processes) {
    auto [it, fresh] = pending_.try_emplace(Key{minute, p.pid, p.comm});
    ProfileMinute& m = it->second;
    if (fresh) {
      m.minute_s = minute;
      m.entity.node = opts_.node;
      m.entity.pid = p.pid;
      m.entity.process = p.comm;
      // A process that exited since it was sampled keeps no container.
      if (auto id = k8s::resolve_pid(p.pid, opts_.proc_root)) {
        m.entity.container_id = id->container_id;
        m.entity.pod_uid = id->pod_uid;
      }
    }
    counters_.samples += p.stacks.total();
    m.stacks.merge(p.stacks);
  }
  enforce_budget();
}

void ContinuousProfiler::enforce_budget() {
  size_t bytes = 0, unsent = 0;
  for (const auto& [key, m] : pending_) bytes += memory_bytes(m);
  if (unsent_)
    for (const ProfileMinute& m : unsent_->minutes) unsent += memory_bytes(m);
  if (unsent_ && bytes + unsent > opts_.max_pending_bytes) {
    // The oldest minutes are in the part held back: it goes first, whole.
    for (const ProfileMinute& m : unsent_->minutes) counters_.samples_dropped += m.stacks.total();
    unsent_.reset();
    unsent = 0;
  }
  while (bytes > opts_.max_pending_bytes && !pending_.empty()) {
    auto oldest = pending_.begin();
    bytes -= std::min(bytes, memory_bytes(oldest->second));
    counters_.samples_dropped += oldest->second.stacks.total();
    pending_.erase(oldest);
  }
  counters_.pending_bytes = bytes + unsent;
}

void ContinuousProfiler::ship() {
  while (offer_next()) {
  }
}

bool ContinuousProfiler::offer_next() {
  Part part;
  {
    std::lock_guard lock(mu_);
    if (unsent_) {
      part = std::move(*unsent_);
      unsent_.reset();
    } else if (!pending_.empty()) {
      part.minutes.reserve(pending_.size());
      for (auto& [key, m] : pending_) part.minutes.push_back(std::move(m));
      pending_.clear();
      counters_.pending_bytes = 0;
      part.seq = ++last_seq_;
    } else {
      return false;
    }
  }
  uint64_t samples = 0;
  for (const ProfileMinute& m : part.minutes) samples += m.stacks.total();
  bool taken = false;
  try {
    // A copy: the sink may change what it gets (the server's names), and
    // a part not taken is offered again as it was.
    std::vector<ProfileMinute> offered = part.minutes;
    taken = sink_(offered, part.seq);
  } catch (const std::exception&) {
    taken = false;
  }
  std::lock_guard lock(mu_);
  if (taken) {
    counters_.samples_shipped += samples;
    return true;
  }
  ++counters_.ship_failures;
  unsent_ = std::move(part);
  enforce_budget();
  return false;
}

namespace {

// The user stack unwinder's counters (agent/profile/unwind_loader.h).
nlohmann::json unwind_status(const SamplerCounters& s) {
  const UnwindCounters& u = s.unwind;
  return {{"stacks_truncated", s[LOUPE_PROFILE_STAT_UNWIND_TRUNCATED]},
          {"stacks_without_tables", s[LOUPE_PROFILE_STAT_UNWIND_NO_TABLE]},
          {"processes_loaded", u.processes_loaded},
          {"processes_failed", u.processes_failed},
          {"processes_few_samples", u.processes_few_samples},
          {"processes_evicted", u.processes_evicted},
          {"objects_loaded", u.objects_loaded},
          {"objects_without_table", u.objects_without},
          {"objects_no_room", u.objects_no_room},
          {"rows_write_failed", u.rows_write_failed},
          {"mappings_dropped", u.mappings_dropped},
          {"rows_used", u.rows_used},
          {"row_capacity", u.row_capacity},
          {"compactions", u.compactions}};
}

}  // namespace

ContinuousCounters ContinuousProfiler::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

nlohmann::json ContinuousProfiler::status() const {
  ContinuousCounters c = counters();
  SymbolizerCounters y;
  {
    std::lock_guard lock(mu_);
    y = symbols_;
  }
  SamplerCounters s = profiler_.sampler_counters();
  return {{"hz", opts_.profiler.sampler.hz},
          {"cpus", profiler_.cpus()},
          {"samples", c.samples},
          {"samples_shipped", c.samples_shipped},
          {"samples_dropped", c.samples_dropped},
          {"ship_failures", c.ship_failures},
          {"pending_bytes", c.pending_bytes},
          {"max_pending_bytes", opts_.max_pending_bytes},
          {"kernel_samples_lost", s[LOUPE_PROFILE_STAT_COUNTS_FULL]},
          {"kernel_stacks_lost", s[LOUPE_PROFILE_STAT_STACKS_FULL] +
                                     s[LOUPE_PROFILE_STAT_STACK_ERRORS] + s.stacks_missing},
          {"unwind", unwind_status(s)},
          // The symbolizer's ELF symbol tables: what its cache holds
          // against its budget, and how often it reads a file again.
          {"symbols",
           {{"cache_bytes", y.cache_bytes},
            {"cache_budget_bytes", opts_.profiler.symbols.cache_bytes},
            {"cache_evictions", y.cache_evictions},
            {"elf_loaded", y.elf_loaded}}}};
}

}  // namespace loupe::profile
