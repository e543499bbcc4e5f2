#include "agent/metrics/metrics_sampler.h"

#include <time.h>

#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe::metrics {

namespace {

uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

MetricsSampler::MetricsSampler(MetricsOptions opts, Sink sink)
    : opts_(std::move(opts)),
      sink_(std::move(sink)),
      cgroups_(opts_.mounts),
      node_(opts_.node, opts_.proc_root) {}

MetricsSampler::~MetricsSampler() { stop(); }

void MetricsSampler::start() {
  if (opts_.trace_oom && !oom_.start([this](const OomTraceEvent& e) { on_oom(e); }, &oom_error_))
    oom_error_ += "; OOM kills come from the cgroups' oom_kill counters instead";
  if (opts_.trace_tcp && !tcp_.start([this](const TcpEvent& e) { on_tcp(e); }, &tcp_error_))
    tcp_error_ += "; no tcp_* metrics";
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("loupe-metrics");
    run();
  });
}

void MetricsSampler::stop() {
  stopping_ = true;
  wait_.stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsSampler::run() {
  using Clock = std::chrono::steady_clock;
  // Between ticks the thread sleeps until an OOM kill, stop(), or a
  // quarter of the TCP ring unread (bpf/tcp_trace.bpf.c wakes no reader
  // per event): TCP events count per tick, and are read before it.
  if (oom_.active()) wait_.add(oom_.ring_fd());
  if (tcp_.active()) wait_.add(tcp_.ring_fd());
  auto next = Clock::now();
  while (!stopping_) {
    auto now = Clock::now();
    if (now >= next) {
      tcp_.drain();
      tick();
      next += opts_.interval;
      // A slow tick (a busy host) skips ahead rather than bursting to catch up.
      now = Clock::now();
      if (next < now) next = now + opts_.interval;
    }
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    wait_.wait(static_cast<int>(ms));
    oom_.drain();
    tcp_.drain();
  }
}

const std::string& MetricsSampler::cgroup_path(uint64_t id) {
  auto it = cgroup_paths_.find(id);
  if (it != cgroup_paths_.end()) return it->second;
  // The memory cgroup names the limit that was hit and the pod; v2 ids are
  // the fallback when the memory controller has no hierarchy of its own.
  const CgroupMounts& m = opts_.mounts;
  std::string path = find_cgroup_by_id(m.memory.empty() ? m.v2 : m.memory, id);
  if (path.empty() && !m.memory.empty()) path = find_cgroup_by_id(m.v2, id);
  // Misses are remembered too (until the next tick clears the cache), so a
  // burst of events from one unknown cgroup walks the tree once.
  return cgroup_paths_.emplace(id, std::move(path)).first->second;
}

void MetricsSampler::on_tcp(const TcpEvent& e) {
  if (e.pid == 0) {  // a socket Loupe did not see connecting
    ++tcp_unowned_;
    return;
  }
  TcpOwner owner{"process", e.command, ""};
  const std::string& path = cgroup_path(e.cgroup_id);
  if (k8s::ContainerIdentity id = k8s::parse_cgroup_path(path); !id.pod_uid.empty())
    owner = {"pod", path, id.pod_uid};
  tcp_health_.add(owner, e);
}

void MetricsSampler::on_oom(const OomTraceEvent& e) {
  std::string path = cgroup_path(e.memory_cgroup_id);
  if (path.empty()) path = cgroup_path(e.dfl_cgroup_id);
  const CgroupMounts& m = opts_.mounts;
  OomKill k;
  k.time_ns = e.time_ns;
  k.pid = e.pid;
  k.command = e.command;
  k.cgroup = path;
  k.node = opts_.node;
  if (!path.empty()) {
    k8s::ContainerIdentity id = k8s::parse_cgroup_path(path);
    k.pod_uid = id.pod_uid;
    k.container_id = id.container_id;
    CgroupStats stats;
    if (read_cgroup(m, path, stats) != ReadStatus::Vanished) {
      k.memory_limit_bytes = stats.memory_limit.value_or(0);
      k.memory_usage_bytes = stats.memory_peak.value_or(stats.memory_usage.value_or(0));
    }
  }
  std::vector<MetricSample> none;
  std::vector<OomKill> kills{std::move(k)};
  sink_(none, kills);
  std::lock_guard lock(mu_);
  ++oom_kills_;
}

OomKill MetricsSampler::kill_from_counter(const CgroupOomDelta& d, uint64_t now_ns) const {
  OomKill k;
  k.time_ns = now_ns;
  k.cgroup = d.target->path;
  k.pod_uid = d.target->identity.pod_uid;
  k.container_id = d.target->identity.container_id;
  k.node = opts_.node;
  k.memory_limit_bytes = d.stats.memory_limit.value_or(0);
  k.memory_usage_bytes = d.stats.memory_peak.value_or(d.stats.memory_usage.value_or(0));
  return k;
}

void MetricsSampler::tick() {
  auto started = std::chrono::steady_clock::now();
  uint64_t now = now_unix_ns(), mono = mono_ns();
  std::vector<MetricSample> samples;
  std::vector<CgroupOomDelta> oom;
  node_.sample(now, mono, samples);
  cgroups_.sample(now, mono, samples, &oom);
  tcp_health_.flush(now, samples);
  cgroup_paths_.clear();  // cgroups come and go; ids are not reused while they live
  // The cgroup's counter says how many were killed, not who: one event per
  // kill, without a pid.
  std::vector<OomKill> kills;
  if (!oom_.active())  // else the tracepoint has reported each kill already
    for (const CgroupOomDelta& d : oom)
      for (uint64_t i = 0; i < d.kills; ++i) kills.push_back(kill_from_counter(d, now));
  size_t n = samples.size(), k = kills.size();
  sink_(samples, kills);
  std::lock_guard lock(mu_);
  ++ticks_;
  samples_ += n;
  oom_kills_ += k;
  last_tick_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  cgroup_stats_ = cgroups_.stats();
  node_stats_ = node_.stats();
  tcp_dropped_ = tcp_health_.dropped();
}

nlohmann::json MetricsSampler::status() const {
  std::lock_guard lock(mu_);
  const CgroupMounts& m = opts_.mounts;
  return {{"interval_s", std::chrono::duration<double>(opts_.interval).count()},
          {"oom_tracepoint", oom_.active()},
          {"oom_tracepoint_error", oom_error_},
          {"tcp_tracepoints", tcp_.active()},
          {"tcp_tracepoints_error", tcp_error_},
          {"tcp_events_unowned", tcp_unowned_.load()},
          {"tcp_series_dropped", tcp_dropped_},
          {"ticks", ticks_},
          {"samples", samples_},
          {"oom_kills", oom_kills_},
          {"last_tick_ms", last_tick_ms_},
          {"cgroups", cgroup_stats_.cgroups},
          {"cgroups_vanished", cgroup_stats_.vanished},
          {"cgroups_malformed", cgroup_stats_.malformed},
          {"node_files_malformed", node_stats_.malformed},
          {"hierarchy",
           {{"v2", m.v2},
            {"v1_cpu", m.cpu},
            {"v1_cpuacct", m.cpuacct},
            {"v1_memory", m.memory},
            {"walk_root", m.walk_root()}}}};
}

}  // namespace loupe::metrics
