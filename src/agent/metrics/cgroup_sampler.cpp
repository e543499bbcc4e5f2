#include "agent/metrics/cgroup_sampler.h"

#include <dirent.h>

#include <algorithm>

namespace loupe::metrics {

namespace {

// Child directory names of `dir` (cgroup directories; files are skipped).
std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    out.emplace_back(e->d_name);
  }
  closedir(d);
  return out;
}

// kubepods/<qos>/<pod>/<container> (cgroupfs driver) or the systemd
// driver's kubepods.slice/kubepods-<qos>.slice/...-pod<uid>.slice/<runtime>-<id>.scope:
// at most four levels below the root.
constexpr int kMaxKubepodsDepth = 4;

void walk_kubepods(const std::string& root, const std::string& path, int depth,
                   std::vector<CgroupTarget>& out) {
  for (const std::string& child : subdirs(root + path)) {
    std::string p = path + "/" + child;
    k8s::ContainerIdentity id = k8s::parse_cgroup_path(p);
    if (!id.container_id.empty()) {
      out.push_back({p, "container", id});
      continue;  // nothing to sample below a container
    }
    // A pod directory is the one whose own name carries the uid (dashes
    // escaped as '_' by the systemd driver).
    if (!id.pod_uid.empty()) {
      std::string escaped = id.pod_uid;
      std::replace(escaped.begin(), escaped.end(), '-', '_');
      if (child.find(id.pod_uid) != std::string::npos || child.find(escaped) != std::string::npos)
        out.push_back({p, "pod", id});
    }
    if (depth < kMaxKubepodsDepth) walk_kubepods(root, p, depth + 1, out);
  }
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// b - a for cumulative counters; nullopt when either is missing or the
// counter went backwards (the cgroup was recreated under the same path).
std::optional<uint64_t> delta(const std::optional<uint64_t>& a, const std::optional<uint64_t>& b) {
  if (!a || !b || *b < *a) return std::nullopt;
  return *b - *a;
}

}  // namespace

std::vector<CgroupTarget> discover_cgroups(const std::string& walk_root) {
  std::vector<CgroupTarget> out;
  if (walk_root.empty()) return out;
  for (const std::string& top : subdirs(walk_root)) {
    std::string p = "/" + top;
    if (top.starts_with("kubepods")) {
      walk_kubepods(walk_root, p, 1, out);
      continue;
    }
    out.push_back({p, "container", {}});
    if (top == "system.slice")
      for (const std::string& svc : subdirs(walk_root + p))
        if (ends_with(svc, ".service")) out.push_back({p + "/" + svc, "container", {}});
  }
  return out;
}

const CgroupStats* CgroupSampler::last(const std::string& path) const {
  auto it = prev_.find(path);
  return it == prev_.end() ? nullptr : &it->second.stats;
}

void CgroupSampler::sample(uint64_t now_ns, uint64_t mono_ns, std::vector<MetricSample>& out,
                           std::vector<CgroupOomDelta>* oom) {
  ++stats_.ticks;
  targets_ = discover_cgroups(mounts_.walk_root());
  stats_.cgroups = 0;
  std::vector<std::pair<const CgroupTarget*, CgroupStats>> read;
  read.reserve(targets_.size());
  for (const CgroupTarget& t : targets_) {
    CgroupStats cur;
    ReadStatus status = read_cgroup(mounts_, t.path, cur);
    if (status == ReadStatus::Vanished) {
      ++stats_.vanished;
      prev_.erase(t.path);
      continue;
    }
    if (status == ReadStatus::Malformed) ++stats_.malformed;
    read.emplace_back(&t, cur);
  }
  // v1 counts an OOM kill only in the cgroup whose limit was hit (often the
  // container's), v2's memory.events is hierarchical: add the containers'
  // kills to their pod so a pod counts its containers' kills on both.
  if (!mounts_.memory.empty()) {
    std::unordered_map<std::string, CgroupStats*> pods;
    for (auto& [t, st] : read)
      if (t->entity == "pod") pods[t->identity.pod_uid] = &st;
    for (auto& [t, st] : read) {
      auto pod = pods.find(t->identity.pod_uid);
      if (t->entity != "container" || pod == pods.end() || !st.oom_kills) continue;
      pod->second->oom_kills = pod->second->oom_kills.value_or(0) + *st.oom_kills;
    }
  }
  for (auto& [target, cur] : read) {
    const CgroupTarget& t = *target;
    ++stats_.cgroups;
    auto emit = [&](const char* metric, double value) {
      MetricSample s;
      s.time_ns = now_ns;
      s.entity = t.entity;
      s.name = t.path;
      s.metric = metric;
      s.value = value;
      s.pod_uid = t.identity.pod_uid;
      s.container_id = t.identity.container_id;
      out.push_back(std::move(s));
    };
    if (cur.memory_usage) {
      uint64_t inactive = cur.memory_inactive_file.value_or(0);
      emit("memory_working_set_bytes",
           static_cast<double>(*cur.memory_usage > inactive ? *cur.memory_usage - inactive : 0));
    }
    if (cur.memory_rss) emit("memory_rss_bytes", static_cast<double>(*cur.memory_rss));
    if (cur.memory_cache) emit("memory_cache_bytes", static_cast<double>(*cur.memory_cache));
    if (cur.memory_limit) emit("memory_limit_bytes", static_cast<double>(*cur.memory_limit));
    if (cur.psi_cpu) emit("psi_cpu_some_percent", *cur.psi_cpu);
    if (cur.psi_memory) emit("psi_memory_some_percent", *cur.psi_memory);
    if (cur.psi_io) emit("psi_io_some_percent", *cur.psi_io);

    Previous& prev = prev_[t.path];
    bool have_prev = prev.tick + 1 == stats_.ticks && mono_ns > prev.mono_ns;
    if (have_prev) {
      const CgroupStats& p = prev.stats;
      double dt = static_cast<double>(mono_ns - prev.mono_ns);
      if (auto d = delta(p.cpu_usage_ns, cur.cpu_usage_ns))
        emit("cpu_usage_cores", static_cast<double>(*d) / dt);
      // Throttling exists only under a CPU limit: no periods, no series.
      if (auto periods = delta(p.cpu_periods, cur.cpu_periods); periods && *cur.cpu_periods > 0) {
        emit("cpu_periods", static_cast<double>(*periods));
        if (auto d = delta(p.cpu_throttled_periods, cur.cpu_throttled_periods))
          emit("cpu_throttled_periods", static_cast<double>(*d));
        if (auto d = delta(p.cpu_throttled_ns, cur.cpu_throttled_ns))
          emit("cpu_throttled_seconds", static_cast<double>(*d) / 1e9);
      }
      if (auto d = delta(p.oom_kills, cur.oom_kills)) {
        emit("oom_kills", static_cast<double>(*d));
        // A pod's count includes its containers' (above): one event per kill.
        if (*d > 0 && oom && t.entity != "pod") oom->push_back({&t, *d, cur});
      }
    }
    prev.stats = cur;
    prev.mono_ns = mono_ns;
    prev.tick = stats_.ticks;
  }
  // Forget cgroups not seen this tick.
  std::erase_if(prev_, [this](const auto& kv) { return kv.second.tick != stats_.ticks; });
}

}  // namespace loupe::metrics
