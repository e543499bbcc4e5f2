#include "server/inventory.h"

#include <map>
#include <set>

#include "core/time_format.h"

namespace loupe::server {
namespace {

using nlohmann::json;

void put_red(json& j, const store::RedSummary* r) {
  static const store::RedSummary kNone;
  if (!r) r = &kNone;
  j["requests"] = r->requests;
  j["errors"] = r->errors;
  j["error_rate"] = r->error_rate;
  j["rate_per_s"] = r->rate_per_s;
  j["p50_ms"] = r->p50_ms;
  j["p95_ms"] = r->p95_ms;
  j["p99_ms"] = r->p99_ms;
}

json time_or_null(uint64_t ns) { return ns ? json(format_rfc3339_ns(ns)) : json(nullptr); }

json optional_count(int64_t n) { return n < 0 ? json(nullptr) : json(n); }

std::string workload_key(const k8s::MetadataStore& model, const k8s::PodInfo& p) {
  return p.namespace_ + "/" + model.workload_of(p);
}

bool wanted_namespace(const InventoryQuery& q, const std::string& ns) {
  return !q.namespace_ || *q.namespace_ == ns;
}

// The compact form the collector sends, plus RFC 3339 times for people.
json container_json(const k8s::ContainerInfo& c) {
  json j = k8s::to_json(c);
  j["started_at"] = time_or_null(c.started_ns);
  if (c.last_termination)
    j["last_termination"]["finished_at"] = time_or_null(c.last_termination->finished_ns);
  return j;
}

json pod_json(const k8s::PodInfo& p, const std::string& workload, uint64_t now_ns) {
  json containers = json::array();
  for (const auto& c : p.containers) containers.push_back(container_json(c));
  return {{"namespace", p.namespace_},
          {"pod", p.name},
          {"workload", workload},
          {"known", true},
          {"uid", p.uid},
          {"node", p.node},
          {"phase", p.phase},
          {"reason", p.reason},
          {"ready", p.ready},
          {"ip", p.ips.empty() ? "" : p.ips.front()},
          {"ips", p.ips},
          {"host_network", p.host_network},
          {"qos_class", p.qos_class},
          {"started_at", time_or_null(p.start_ns)},
          {"age_s", p.start_ns && now_ns > p.start_ns ? (now_ns - p.start_ns) / 1'000'000'000 : 0},
          {"restarts", p.restarts()},
          {"containers", containers}};
}

// Per "namespace/pod" in the window: container restarts (OOM kills that
// restarted a container included), from the events the collector derives
// from container statuses; and the kernel's OOM kills (the agents' events,
// source "kernel"), which also catch a process killed inside a container
// that keeps running, so they are not restarts.
struct PodEventCounts {
  int64_t restarts = 0, oom_kills = 0;
};

std::map<std::string, PodEventCounts> pod_event_counts(store::Store& store,
                                                       const store::TimeRange& range) {
  std::map<std::string, PodEventCounts> out;
  for (const char* reason : {"Restarted", "OOMKilled"}) {
    store::EventQuery eq;
    eq.reason = reason;
    eq.range = range;
    eq.limit = 10000;
    for (const auto& e : store.events(eq)) {
      if (e.kind != "Pod") continue;
      auto& c = out[e.namespace_ + "/" + e.name];
      ++(e.source == "kernel" ? c.oom_kills : c.restarts);
    }
  }
  return out;
}

struct WorkloadRow {
  std::string ns, kind, name;
  const k8s::WorkloadInfo* object = nullptr;
  size_t pods = 0, ready_pods = 0;
  int64_t restarts = 0, restarts_in_window = 0, oom_kills_in_window = 0;
  std::vector<std::string> images;
  const store::RedSummary* red = nullptr;
};

// A top-level workload: what a pod's workload chain ends at (a ReplicaSet
// owned by a Deployment, or a Job owned by a CronJob, is not one).
bool top_level(const k8s::WorkloadInfo& w) {
  return w.owner_kind.empty() || (w.kind != "ReplicaSet" && w.kind != "Job");
}

}  // namespace

json workloads_json(const k8s::MetadataStore& model, store::Store& store, const InventoryQuery& q) {
  std::map<std::string, WorkloadRow> rows;  // "namespace/Kind/name"
  auto objects = model.workloads();
  for (const auto& w : objects) {
    if (!top_level(w) || !wanted_namespace(q, w.namespace_)) continue;
    auto& r = rows[w.namespace_ + "/" + w.kind + "/" + w.name];
    r.ns = w.namespace_;
    r.kind = w.kind;
    r.name = w.name;
    r.object = &w;
    r.images = w.images;
  }
  auto counts = pod_event_counts(store, q.range);
  for (const auto& p : model.pods()) {
    if (!wanted_namespace(q, p.namespace_)) continue;
    std::string wl = model.workload_of(p);  // "Kind/name"
    auto& r = rows[p.namespace_ + "/" + wl];
    if (r.kind.empty()) {  // a bare pod, or its controller is not known
      r.ns = p.namespace_;
      r.kind = wl.substr(0, wl.find('/'));
      r.name = wl.substr(wl.find('/') + 1);
    }
    ++r.pods;
    r.ready_pods += p.ready;
    r.restarts += p.restarts();
    if (auto it = counts.find(p.namespace_ + "/" + p.name); it != counts.end()) {
      r.restarts_in_window += it->second.restarts;
      r.oom_kills_in_window += it->second.oom_kills;
    }
    if (!r.object) {
      for (const auto& c : p.containers)
        if (!c.image.empty() &&
            std::find(r.images.begin(), r.images.end(), c.image) == r.images.end())
          r.images.push_back(c.image);
    }
  }
  auto red = store.workloads(q.range);
  for (const auto& w : red) {
    if (!wanted_namespace(q, w.namespace_)) continue;
    auto& r = rows[w.name];
    if (r.kind.empty()) {
      r.ns = w.namespace_;
      r.kind = w.workload.substr(0, w.workload.find('/'));
      r.name = w.workload.substr(w.workload.find('/') + 1);
    }
    r.red = &w.red;
  }
  json out = json::array();
  for (const auto& [key, r] : rows) {
    json j{{"name", key},
           {"namespace", r.ns},
           {"workload", r.kind + "/" + r.name},
           {"kind", r.kind},
           {"object", r.name},
           {"known", r.object != nullptr || r.pods > 0},
           {"desired_replicas", optional_count(r.object ? r.object->desired : -1)},
           {"ready_replicas", optional_count(r.object ? r.object->ready : -1)},
           {"pods", r.pods},
           {"ready_pods", r.ready_pods},
           {"restarts", r.restarts},
           {"restarts_in_window", r.restarts_in_window},
           {"oom_kills_in_window", r.oom_kills_in_window},
           {"images", r.images},
           {"traffic", r.red != nullptr && r.red->requests > 0}};
    put_red(j, r.red);
    out.push_back(std::move(j));
  }
  return out;
}

json pods_json(const k8s::MetadataStore& model, store::Store& store, const InventoryQuery& q) {
  std::map<std::string, store::PodSummary> red;  // "namespace/pod"
  for (auto& p : store.pods(q.workload, q.range)) red[p.namespace_ + "/" + p.pod] = std::move(p);
  auto counts = pod_event_counts(store, q.range);
  json out = json::array();
  std::set<std::string> listed;
  for (const auto& p : model.pods()) {
    std::string wl = workload_key(model, p);
    if (!wanted_namespace(q, p.namespace_) || (q.workload && *q.workload != wl)) continue;
    std::string key = p.namespace_ + "/" + p.name;
    json j = pod_json(p, wl, q.now_ns);
    PodEventCounts c = counts.count(key) ? counts.at(key) : PodEventCounts{};
    j["restarts_in_window"] = c.restarts;
    j["oom_kills_in_window"] = c.oom_kills;
    auto it = red.find(key);
    put_red(j, it == red.end() ? nullptr : &it->second.red);
    out.push_back(std::move(j));
    listed.insert(key);
  }
  for (const auto& [key, p] : red) {
    if (listed.count(key) || !wanted_namespace(q, p.namespace_)) continue;
    json j{{"namespace", p.namespace_}, {"pod", p.pod}, {"workload", p.workload}, {"known", false}};
    put_red(j, &p.red);
    out.push_back(std::move(j));
  }
  return out;
}

json nodes_json(const k8s::MetadataStore& model) {
  std::map<std::string, size_t> pods_on;
  for (const auto& p : model.pods()) ++pods_on[p.node];
  json out = json::array();
  for (const auto& n : model.nodes()) {
    json j = k8s::to_json(n);
    for (auto& c : j["conditions"]) c["since"] = time_or_null(c.value("since_ns", uint64_t{0}));
    j["pods"] = pods_on[n.name];
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace loupe::server
