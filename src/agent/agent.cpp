#include "agent/agent.h"

#include <pthread.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/burst_yield.h"
#include "core/sched_slice.h"
#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe {
namespace {

uint64_t kernel_drops(const TracerCounters& k) { return k[LOUPE_STAT_RB_DROPS] + k.missed_runs; }

// Room past batch_records for the records of the segment that fills a
// batch (16 for redis-benchmark -P 16), so that segment does not make the
// vector reallocate and move every record it holds.
constexpr size_t kSegmentRecords = 256;

// How often the ring's fill is read within a drain (two loads from mapped
// pages): a starved pump handles ~256 events in ~0.1 s.
constexpr size_t kPressureCheckEvents = 256;

}  // namespace

Agent::Agent(AgentOptions opts, BatchSink sink, LossSink lost_events)
    : opts_(opts),
      sink_(std::move(sink)),
      lost_events_(std::move(lost_events)),
      tracer_(opts.tracer),
      tracker_(
          opts.tracker, [this](std::span<Record> added) { add_records(added); },
          [this](uint32_t tgid, int32_t fd) { tracer_.forget_connection(tgid, fd); }),
      tls_({.self_pid = static_cast<uint32_t>(getpid())}) {
  // Parsers build records in the batch itself: no move per record from
  // the tracker into it.
  tracker_.append_to(&pending_);
}

Agent::Agent(AgentOptions opts, EncodedSink sink, LossSink lost_events)
    : Agent(std::move(opts), BatchSink{}, std::move(lost_events)) {
  encoded_sink_ = std::move(sink);
  // Each segment's records are built in the tracker's own vector, encoded
  // (with their connection's identity, not copies of it) and destroyed
  // before the next segment's are built there.
  tracker_.append_to(nullptr);
  tracker_.encode_to(&encoded_, encoded_sink_.node);
}

Agent::~Agent() { stop(); }

void Agent::start() {
  tracer_.start([this](std::span<const uint8_t> raw) {
    tracker_.on_event(raw);
    // Between events the pump gives the CPU up every kBurstBudget
    // (core/burst_yield.h), except while the ring fills: then it must not
    // wait for anyone.
    if (!priority_ || !priority_->boosted()) burst_point();
    // Within a drain too: starved of CPU, the pump spent seconds in one.
    if (++events_since_check_ == kPressureCheckEvents) {
      events_since_check_ = 0;
      check_ring_pressure();
    }
  });
  if (opts_.tls) tls_.start(tracer_.tls_programs());
  started_ns_ = now_unix_ns();
  running_ = true;
  thread_ = std::thread([this] { pump(); });
}

void Agent::pump() {
  name_this_thread("loupe-pump");  // for top, perf and bench/overhead.sh
  set_thread_slice(kPumpSlice);
  BurstYield bursts;
  install_burst_yield(&bursts);
  priority_ =
      std::make_unique<PumpPriority>(PumpPriority::thread_nice(), opts_.pump_nice,
                                     opts_.tracer.ring_buffer_bytes, PumpPriority::set_thread_nice);
  using Ms = std::chrono::duration<double, std::milli>;
  // Drains sized to end within one burst of the pump (see DrainPacer).
  DrainPacer pacer(opts_.poll_interval_ms, opts_.max_poll_interval_ms,
                   opts_.tracer.ring_buffer_bytes / std::max(opts_.drain_target_share, 1U),
                   Ms(kBurstBudget).count());
  auto last_tick = std::chrono::steady_clock::now();
  auto last_drain = last_tick;
  double last_drain_ms = 0;
  bool more = false;
  while (running_) {
    // Wait outside the lock: the kernel wakes us early only when a quarter
    // of the ring buffer is unread; otherwise we drain on this timer. No
    // wait while the last drain stopped at its budget: events are waiting.
    if (!more) tracer_.wait(pacer.wait_ms());
    auto now = std::chrono::steady_clock::now();
    pacer.next_wait_ms(tracer_.unread_bytes(), Ms(now - last_drain).count(), last_drain_ms);
    last_drain = now;
    more = drain();
    last_drain_ms = Ms(std::chrono::steady_clock::now() - now).count();
    check_ring_pressure();
    if (now - last_tick > std::chrono::seconds(1)) {
      {
        std::lock_guard lock(mu_);
        tracker_.tick();
      }
      report_kernel_drops();
      last_tick = now;
    }
  }
  while (drain()) {  // what arrived before stop
  }
  {
    std::lock_guard lock(mu_);
    hand_over();
  }
  report_kernel_drops();
  install_burst_yield(nullptr);
}

bool Agent::drain() {
  std::lock_guard lock(mu_);
  bool more = tracer_.drain(opts_.drain_events) >= opts_.drain_events;
  if (has_pending() && std::chrono::steady_clock::now() - pending_since_ >=
                           std::chrono::milliseconds(opts_.hand_over_interval_ms))
    hand_over();
  return more;
}

void Agent::add_records(std::span<const Record> added) {
  if (encoded_sink_.take) {  // the tracker encoded them (encode_to)
    if (encoded_.count() == added.size()) pending_since_ = std::chrono::steady_clock::now();
    if (encoded_.count() >= opts_.batch_records || encoded_.bytes().size() >= opts_.batch_bytes)
      hand_over();
    return;
  }
  if (pending_.size() == added.size()) pending_since_ = std::chrono::steady_clock::now();
  for (const Record& r : added) pending_bytes_ += memory_bytes(r);
  // Checked per segment: a batch may pass its bounds by one segment's records.
  if (pending_.size() >= opts_.batch_records || pending_bytes_ >= opts_.batch_bytes) hand_over();
}

void Agent::hand_over() {
  if (encoded_sink_.take) {
    if (encoded_.empty()) return;
    size_t handed = encoded_.bytes().size();
    encoded_sink_.take(encoded_);
    encoded_.clear();
    // Room for as many bytes as the last batch had when the sink left no
    // spare buffer: grown by doubling, every batch would be copied again.
    encoded_.reserve(handed);
    return;
  }
  if (pending_.empty()) return;
  std::vector<Record> batch;
  batch.swap(pending_);
  size_t bytes = pending_bytes_;
  pending_bytes_ = 0;
  size_t handed = batch.size();
  sink_(std::move(batch), bytes);
  // Room for as many records as the last batch had: under load a whole
  // batch at once (growing by doubling would move every record several
  // times into fresh pages), at a few records per drain no big allocation
  // every few milliseconds.
  // A pooled vector gets room for a whole batch: its pages stay resident
  // only where records were.
  if (opts_.batch_pool)
    pending_ = opts_.batch_pool->take(opts_.batch_records + kSegmentRecords);
  else
    pending_.reserve(handed);
}

void Agent::check_ring_pressure() {
  if (!priority_) return;
  bool refused = priority_->refused();
  priority_->update(tracer_.unread_bytes());
  // Needs CAP_SYS_NICE (root has it).
  if (priority_->refused() && !refused)
    std::cerr << "loupe: the capture thread keeps its priority (nice " << opts_.pump_nice
              << " refused: " << strerror(errno)
              << "); under CPU contention the ring buffer may overflow\n";
}

void Agent::report_kernel_drops() {
  if (!lost_events_) return;
  uint64_t drops = kernel_drops(tracer_.counters());
  if (drops > reported_drops_) lost_events_(drops - reported_drops_);
  reported_drops_ = drops;
}

void Agent::stop() {
  if (!running_.exchange(false)) return;
  tls_.stop();
  if (thread_.joinable()) thread_.join();
}

AgentCounters Agent::counters() const {
  TracerCounters k = tracer_.counters();
  std::lock_guard lock(mu_);
  const TrackerStats& t = tracker_.stats();
  return AgentCounters{kernel_drops(k), k[LOUPE_STAT_TRUNCATED],     t.events,
                       t.records,       tracker_.connection_count(), t.lost.total};
}

LossStats Agent::losses() const {
  std::lock_guard lock(mu_);
  return tracker_.stats().lost;
}

namespace {

nlohmann::json loss_json(const LossCounts& n) {
  return {{"undetected", n.undetected}, {"parse_error", n.parse_error}, {"resync", n.resync}};
}

nlohmann::json loss_json(const LossStats& lost) {
  nlohmann::json j = loss_json(lost.total);
  nlohmann::json by_port = nlohmann::json::object();
  for (const auto& [port, n] : lost.by_port) by_port[std::to_string(port)] = loss_json(n);
  nlohmann::json by_process = nlohmann::json::object();
  for (const auto& [name, n] : lost.by_process) by_process[name] = loss_json(n);
  j["by_port"] = std::move(by_port);
  j["by_process"] = std::move(by_process);
  return j;
}

}  // namespace

nlohmann::json Agent::status() const {
  AgentCounters c = counters();
  nlohmann::json probes = nlohmann::json::array();
  for (const ProbeInfo& p : tracer_.probes()) {
    nlohmann::json j{{"name", p.name}, {"attached", p.attached}};
    if (p.run_cnt) {
      j["run_count"] = p.run_cnt;
      j["mean_run_ns"] = p.run_time_ns / p.run_cnt;
    }
    probes.push_back(std::move(j));
  }
  nlohmann::json parsers = nlohmann::json::object();
  nlohmann::json lost;
  uint64_t evicted = 0, table_bytes = 0, malformed = 0;
  nlohmann::json tls = tls_.status();
  TracerCounters k = tracer_.counters();
  tls["plaintext_events"] = k[LOUPE_STAT_TLS_DATA];
  tls["calls_without_socket"] = k[LOUPE_STAT_TLS_NO_FD];
  {
    std::lock_guard lock(mu_);
    const TrackerStats& t = tracker_.stats();
    tls["connections"] = t.tls_connections;
    tls["opaque_connections"] = t.tls_opaque_connections;
    lost = loss_json(t.lost);
    evicted = t.connections_evicted;
    table_bytes = t.table_bytes;
    malformed = t.malformed_events;
    lost["detect_budget_exhausted"] = t.detect_budget_exhausted;
    for (const auto& [proto, s] : t.parsers)
      parsers[std::string(to_string(proto))] = {{"records", s.records},
                                                {"parse_errors", s.parse_errors},
                                                {"resyncs", s.resyncs},
                                                {"unmatched", s.unmatched}};
  }
  return {
      {"kernel", kernel_features()},
      {"probes", probes},
      {"capture_bytes", opts_.tracer.capture_bytes},
      {"ring_buffer_bytes", opts_.tracer.ring_buffer_bytes},
      {"events_seen", c.events},
      {"events_dropped", c.kernel_drops},
      {"events_dropped_by_reason",
       {{"ring_buffer_full", k[LOUPE_STAT_RB_DROPS]}, {"program_runs_missed", k.missed_runs}}},
      {"events_malformed", malformed},
      {"payloads_truncated", c.truncated},
      {"records", c.records},
      {"live_connections", c.connections},
      {"connection_table_bytes", table_bytes},
      {"connections_evicted", evicted},
      {"lost_connections", lost},
      {"parsers_closed_connections", parsers},
      {"tls", tls},
  };
}

nlohmann::json kernel_features() {
  utsname u{};
  uname(&u);
  auto exists = [](const char* p) { return std::filesystem::exists(p); };
  std::string stats_enabled;
  std::ifstream("/proc/sys/kernel/bpf_stats_enabled") >> stats_enabled;
  return {
      {"release", u.release},
      {"machine", u.machine},
      {"btf", exists("/sys/kernel/btf/vmlinux")},
      {"ring_buffer", true},  // the programs would not have loaded otherwise
      {"raw_tracepoints", true},
      {"cgroup_v2", exists("/sys/fs/cgroup/cgroup.controllers") ||
                        exists("/sys/fs/cgroup/unified/cgroup.controllers")},
      {"bpf_stats_enabled", stats_enabled == "1"},
  };
}

}  // namespace loupe
