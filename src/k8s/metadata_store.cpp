#include "k8s/metadata_store.h"

#include <algorithm>
#include <mutex>

#include "core/time_format.h"

namespace loupe::k8s {
namespace {

std::string key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// Kinds whose objects only matter as owners or as the workload list.
const std::map<std::string_view, std::string_view> kWorkloadKinds = {
    {"replicasets", "ReplicaSet"},
    {"deployments", "Deployment"},
    {"statefulsets", "StatefulSet"},
    {"daemonsets", "DaemonSet"},
    {"jobs", "Job"},
    {"cronjobs", "CronJob"},
};

bool selects(const Labels& selector, const Labels& labels) {
  if (selector.empty()) return false;  // an empty selector selects nothing for Services
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

std::string ip_of(std::string_view addr) {
  if (!addr.empty() && addr[0] == '[') {
    size_t close = addr.find(']');
    return std::string(addr.substr(1, close == std::string_view::npos ? addr.npos : close - 1));
  }
  size_t colon = addr.find(':');
  if (colon != std::string_view::npos && addr.find(':', colon + 1) == std::string_view::npos) {
    return std::string(addr.substr(0, colon));  // v4:port
  }
  return std::string(addr);  // bare v4 or bare v6
}

MetadataStore::MetadataStore(StoreOptions opts, Clock clock)
    : opts_(opts), clock_(clock ? std::move(clock) : Clock(loupe::now_unix_ns)) {}

uint64_t MetadataStore::now() const { return clock_(); }

void MetadataStore::set_local_node(std::string node) {
  std::unique_lock lock(mu_);
  local_node_ = std::move(node);
}

void MetadataStore::record_change(const char* op, const char* kind, nlohmann::json obj,
                                  uint64_t now_ns) {
  if (changes_.size() >= opts_.max_changes) {
    overflowed_ = true;
    return;
  }
  changes_.push_back({{"seq", ++seq_},
                      {"time_ns", now_ns},
                      {"op", op},
                      {"kind", kind},
                      {"object", std::move(obj)}});
}

namespace {

// When a pod let go of its IPs: when its containers all exited if the
// status says so (a deletion is seen after that, and a new pod may have the
// address by then), else when Loupe saw it go.
uint64_t released_at(const PodInfo* p, uint64_t now_ns) {
  uint64_t stopped = p ? p->stopped_ns() : 0;
  return stopped && stopped < now_ns ? stopped : now_ns;
}

}  // namespace

void MetadataStore::release_ips(const std::string& uid, uint64_t now_ns) {
  auto pod = pods_.find(uid);
  uint64_t at = released_at(pod == pods_.end() ? nullptr : &pod->second, now_ns);
  for (auto& [ip, hist] : ip_history_) {
    if (!hist.empty() && hist.back().uid == uid && hist.back().to_ns == 0) {
      hist.back().to_ns = std::max(at, hist.back().from_ns + 1);
    }
  }
}

void MetadataStore::upsert_pod(PodInfo p, uint64_t now_ns) {
  if (p.uid.empty()) {
    ++skipped_;
    return;
  }
  auto old = pods_.find(p.uid);
  bool changed_ips =
      old == pods_.end() || old->second.ips != p.ips || old->second.holds_ips() != p.holds_ips();
  if (changed_ips) release_ips(p.uid, now_ns);
  if (p.holds_ips()) {
    for (const auto& ip : p.ips) {
      auto& hist = ip_history_[ip];
      if (!hist.empty() && hist.back().uid == p.uid && hist.back().to_ns == 0) continue;
      // Records can predate our first sight of a pod (a new pod serving
      // before its status reached us, a collector restart): date the
      // interval from the pod's start.
      uint64_t from = p.start_ns && p.start_ns < now_ns ? p.start_ns : now_ns;
      if (!hist.empty() && hist.back().to_ns == 0) {
        // Another pod still "holds" it: its deletion has not reached us
        // yet (or was missed). Two pods never hold an IP at once, so it
        // let go when its containers exited, or at the latest when this
        // pod started.
        auto prev = pods_.find(hist.back().uid);
        uint64_t end = released_at(prev == pods_.end() ? nullptr : &prev->second, from);
        hist.back().to_ns = std::max(end, hist.back().from_ns + 1);
      }
      // Never before the last holder let go.
      if (!hist.empty()) from = std::max(from, hist.back().to_ns);
      hist.push_back({p.uid, from, 0});
    }
  }
  for (const auto& c : p.containers)
    if (!c.id.empty()) containers_[c.id] = {p.uid, c.name};
  record_change("upsert", "pod", to_json(p), now_ns);
  pods_[p.uid] = std::move(p);
}

void MetadataStore::delete_pod(const std::string& uid, uint64_t now_ns) {
  auto it = pods_.find(uid);
  if (it == pods_.end() || it->second.deleted_ns) return;
  release_ips(uid, now_ns);
  it->second.deleted_ns = now_ns;  // kept for records that arrive late
  record_change("delete", "pod", to_json(it->second), now_ns);
}

void MetadataStore::prune(uint64_t now_ns) {
  if (now_ns - last_prune_ns_ < 10ull * 1000000000ull) return;
  last_prune_ns_ = now_ns;
  uint64_t horizon = now_ns > opts_.retention_ns ? now_ns - opts_.retention_ns : 0;
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (it->second.deleted_ns && it->second.deleted_ns < horizon) {
      for (const auto& c : it->second.containers) {
        auto ci = containers_.find(c.id);
        if (ci != containers_.end() && ci->second.first == it->first) containers_.erase(ci);
      }
      it = pods_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = ip_history_.begin(); it != ip_history_.end();) {
    auto& h = it->second;
    h.erase(std::remove_if(h.begin(), h.end(),
                           [&](const Interval& i) { return i.to_ns && i.to_ns < horizon; }),
            h.end());
    it = h.empty() ? ip_history_.erase(it) : std::next(it);
  }
}

void MetadataStore::put_service(ServiceInfo s, bool del, uint64_t now_ns) {
  if (s.name.empty()) {
    ++skipped_;
    return;
  }
  std::string k = key(s.namespace_, s.name);
  if (auto old = services_.find(k); old != services_.end()) {
    for (const auto& ip : old->second.cluster_ips) cluster_ips_.erase(ip);
  }
  if (del) {
    services_.erase(k);
    record_change("delete", "service", to_json(s), now_ns);
  } else {
    for (const auto& ip : s.cluster_ips) cluster_ips_[ip] = k;
    record_change("upsert", "service", to_json(s), now_ns);
    services_[k] = std::move(s);
  }
}

void MetadataStore::put_workload(WorkloadInfo w, bool del, uint64_t now_ns) {
  if (w.name.empty()) {
    ++skipped_;
    return;
  }
  std::string k = w.kind + "/" + key(w.namespace_, w.name);
  record_change(del ? "delete" : "upsert", "workload", to_json(w), now_ns);
  if (del)
    workloads_.erase(k);
  else
    workloads_[k] = std::move(w);
}

void MetadataStore::put_node(NodeInfo n, bool del, uint64_t now_ns) {
  if (n.name.empty()) {
    ++skipped_;
    return;
  }
  record_change(del ? "delete" : "upsert", "node", to_json(n), now_ns);
  if (del)
    nodes_.erase(n.name);
  else
    nodes_[n.name] = std::move(n);
}

void MetadataStore::put_slice(EndpointSliceInfo e, bool del, uint64_t now_ns) {
  if (e.name.empty()) {
    ++skipped_;
    return;
  }
  std::string k = key(e.namespace_, e.name);
  record_change(del ? "delete" : "upsert", "endpointslice", to_json(e), now_ns);
  if (del)
    slices_.erase(k);
  else
    slices_[k] = std::move(e);
}

void MetadataStore::apply_locked(std::string_view resource, WatchType type,
                                 const nlohmann::json& obj, uint64_t now_ns) {
  if (!obj.is_object()) return;
  bool del = type == WatchType::Deleted;
  if (resource == "pods") {
    PodInfo p = pod_from_api(obj);
    if (del)
      delete_pod(p.uid, now_ns);
    else
      upsert_pod(std::move(p), now_ns);
  } else if (resource == "services") {
    put_service(service_from_api(obj), del, now_ns);
  } else if (auto wk = kWorkloadKinds.find(resource); wk != kWorkloadKinds.end()) {
    put_workload(workload_from_api(wk->second, obj), del, now_ns);
  } else if (resource == "nodes") {
    put_node(node_from_api(obj), del, now_ns);
  } else if (resource == "endpointslices") {
    put_slice(endpointslice_from_api(obj), del, now_ns);
  }
  prune(now_ns);
}

bool MetadataStore::apply_change(const nlohmann::json& change, std::string* error) {
  if (!change.is_object() || !change.contains("object") || !change["object"].is_object()) {
    if (error) *error = "a change needs an object";
    return false;
  }
  std::string op = jstr(change, {"op"}), kind = jstr(change, {"kind"});
  if (op != "upsert" && op != "delete") {
    if (error) *error = "unknown change op '" + op + "'";
    return false;
  }
  const nlohmann::json& obj = change["object"];
  uint64_t t = 0;
  if (auto* tj = jget(change, {"time_ns"}); tj && tj->is_number_unsigned()) t = tj->get<uint64_t>();
  if (t == 0) t = now();
  bool del = op == "delete";
  std::unique_lock lock(mu_);
  try {
    if (kind == "pod") {
      PodInfo p = pod_from_json(obj);
      // A delete of a pod this store never saw still dates its IP interval.
      if (del && !pods_.count(p.uid)) upsert_pod(p, p.start_ns ? p.start_ns : t);
      if (del)
        delete_pod(p.uid, t);
      else
        upsert_pod(std::move(p), t);
    } else if (kind == "service") {
      put_service(service_from_json(obj), del, t);
    } else if (kind == "workload") {
      put_workload(workload_from_json(obj), del, t);
    } else if (kind == "node") {
      put_node(node_from_json(obj), del, t);
    } else if (kind == "endpointslice") {
      put_slice(endpointslice_from_json(obj), del, t);
    } else {
      if (error) *error = "unknown change kind '" + kind + "'";
      return false;
    }
  } catch (const nlohmann::json::exception& e) {
    if (error) *error = std::string("bad ") + kind + " change: " + e.what();
    return false;
  }
  prune(t);
  return true;
}

std::string MetadataStore::workload_of_service(const std::string& ns,
                                               const std::string& name) const {
  std::shared_lock lock(mu_);
  auto s = services_.find(key(ns, name));
  if (s == services_.end()) return {};
  std::string found;
  for (const auto& [uid, p] : pods_) {
    if (p.deleted_ns || p.namespace_ != ns) continue;
    auto svcs = services_locked(p);
    if (std::find(svcs.begin(), svcs.end(), name) == svcs.end()) continue;
    std::string w = workload_locked(p);
    if (!found.empty() && w != found) return {};  // several workloads: no single callee
    found = w;
  }
  return found;
}

void MetadataStore::apply(std::string_view resource, WatchType type, const nlohmann::json& obj) {
  uint64_t t = now();
  std::unique_lock lock(mu_);
  apply_locked(resource, type, obj, t);
}

void MetadataStore::replace(std::string_view resource, const std::vector<nlohmann::json>& items) {
  uint64_t t = now();
  std::unique_lock lock(mu_);
  // Whatever the list does not name is gone (deleted while we were not watching).
  if (resource == "pods") {
    std::map<std::string, bool> present;
    for (const auto& it : items) present[jstr(it, {"metadata", "uid"})] = true;
    for (auto& [uid, p] : pods_) {
      if (!p.deleted_ns && !present.count(uid)) delete_pod(uid, t);
    }
  } else {
    std::vector<nlohmann::json> gone;
    auto missing = [&](const std::string& ns, const std::string& name) {
      for (const auto& it : items) {
        if (jstr(it, {"metadata", "namespace"}) == ns && jstr(it, {"metadata", "name"}) == name)
          return false;
      }
      return true;
    };
    auto stub_of = [](const std::string& ns, const std::string& name) {
      return nlohmann::json{{"metadata", {{"namespace", ns}, {"name", name}}}};
    };
    if (resource == "services") {
      for (const auto& [k, s] : services_)
        if (missing(s.namespace_, s.name)) gone.push_back(stub_of(s.namespace_, s.name));
    } else if (resource == "nodes") {
      for (const auto& [k, n] : nodes_)
        if (missing("", n.name)) gone.push_back(stub_of("", n.name));
    } else if (resource == "endpointslices") {
      for (const auto& [k, e] : slices_)
        if (missing(e.namespace_, e.name)) gone.push_back(stub_of(e.namespace_, e.name));
    } else if (auto wk = kWorkloadKinds.find(resource); wk != kWorkloadKinds.end()) {
      for (const auto& [k, w] : workloads_)
        if (w.kind == wk->second && missing(w.namespace_, w.name))
          gone.push_back(stub_of(w.namespace_, w.name));
    }
    for (const auto& g : gone) apply_locked(resource, WatchType::Deleted, g, t);
  }
  for (const auto& it : items) apply_locked(resource, WatchType::Added, it, t);
}

std::optional<PodInfo> MetadataStore::pod_by_uid(const std::string& uid) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

std::optional<PodInfo> MetadataStore::pod_by_ip_locked(const std::string& ip,
                                                       uint64_t at_ns) const {
  auto h = ip_history_.find(ip);
  if (h == ip_history_.end()) return std::nullopt;
  for (auto it = h->second.rbegin(); it != h->second.rend(); ++it) {
    bool match =
        at_ns == 0 ? it->to_ns == 0 : it->from_ns <= at_ns && (it->to_ns == 0 || at_ns < it->to_ns);
    if (match) {
      auto p = pods_.find(it->uid);
      if (p != pods_.end()) return p->second;
    }
  }
  return std::nullopt;
}

std::optional<PodInfo> MetadataStore::pod_by_ip(const std::string& ip, uint64_t at_ns) const {
  std::shared_lock lock(mu_);
  return pod_by_ip_locked(ip, at_ns);
}

std::optional<PodInfo> MetadataStore::pod_by_container(const std::string& id,
                                                       std::string* container_name) const {
  std::shared_lock lock(mu_);
  auto c = containers_.find(id);
  if (c == containers_.end()) return std::nullopt;
  auto p = pods_.find(c->second.first);
  if (p == pods_.end()) return std::nullopt;
  if (container_name) *container_name = c->second.second;
  return p->second;
}

std::optional<ServiceInfo> MetadataStore::service_by_cluster_ip(const std::string& ip) const {
  std::shared_lock lock(mu_);
  auto k = cluster_ips_.find(ip);
  if (k == cluster_ips_.end()) return std::nullopt;
  auto s = services_.find(k->second);
  if (s == services_.end()) return std::nullopt;
  return s->second;
}

std::string MetadataStore::workload_locked(const PodInfo& pod) const {
  if (pod.owner_kind.empty() || pod.owner_kind == "Node")
    return "Pod/" + pod.name;  // bare or static
  std::string kind = pod.owner_kind, name = pod.owner_name;
  // ReplicaSet -> Deployment, Job -> CronJob: one level up when the owner has an owner.
  if (kind == "ReplicaSet" || kind == "Job") {
    auto w = workloads_.find(kind + "/" + key(pod.namespace_, name));
    if (w != workloads_.end() && !w->second.owner_kind.empty()) {
      return w->second.owner_kind + "/" + w->second.owner_name;
    }
    if (w == workloads_.end() && kind == "ReplicaSet") {
      // The ReplicaSet is not known yet (lists race): its name is the
      // Deployment's plus "-<pod-template-hash>".
      auto h = pod.labels.find("pod-template-hash");
      std::string suffix = h == pod.labels.end() ? "" : "-" + h->second;
      if (!suffix.empty() && name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return "Deployment/" + name.substr(0, name.size() - suffix.size());
      }
    }
  }
  return kind + "/" + name;
}

std::string MetadataStore::workload_of(const PodInfo& pod) const {
  std::shared_lock lock(mu_);
  return workload_locked(pod);
}

std::vector<std::string> MetadataStore::services_locked(const PodInfo& pod) const {
  std::vector<std::string> out;
  for (const auto& [k, s] : services_) {
    if (s.namespace_ == pod.namespace_ && selects(s.selector, pod.labels)) out.push_back(s.name);
  }
  if (out.empty()) {
    // Services without a selector are wired by hand through EndpointSlices.
    for (const auto& [k, e] : slices_) {
      if (e.namespace_ != pod.namespace_ || e.service.empty()) continue;
      for (const auto& ip : pod.ips) {
        if (std::find(e.addresses.begin(), e.addresses.end(), ip) != e.addresses.end() &&
            std::find(out.begin(), out.end(), e.service) == out.end()) {
          out.push_back(e.service);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MetadataStore::services_of(const PodInfo& pod) const {
  std::shared_lock lock(mu_);
  return services_locked(pod);
}

void MetadataStore::enrich(Record& r, const ContainerIdentity& local) const {
  PodIdentity mine = r.local(), peer = r.remote();
  enrich(r, local, mine, peer);
  r.local_identity = intern(mine);
  r.remote_identity = intern(peer);
}

void MetadataStore::enrich(const Record& r, const ContainerIdentity& local, PodIdentity& mine,
                           PodIdentity& peer) const {
  std::shared_lock lock(mu_);
  const PodInfo* pod = nullptr;
  std::string container;
  if (!local.container_id.empty()) {
    if (auto c = containers_.find(local.container_id); c != containers_.end()) {
      if (auto p = pods_.find(c->second.first); p != pods_.end()) {
        pod = &p->second;
        container = c->second.second;
      }
    }
  }
  if (!pod && !local.pod_uid.empty()) {
    if (auto p = pods_.find(local.pod_uid); p != pods_.end()) pod = &p->second;
  }
  std::optional<PodInfo> by_ip;
  if (!pod && local.empty() && !r.local_addr.empty()) {
    // No cgroup identity (e.g. a record from a pod's network namespace
    // seen by a host process): the local address may still be a pod IP.
    by_ip = pod_by_ip_locked(ip_of(r.local_addr), r.start_ns);
    if (by_ip) pod = &*by_ip;
  }
  if (pod) {
    mine.namespace_ = pod->namespace_;
    mine.pod = pod->name;
    if (!container.empty()) {
      mine.container = container;
    } else if (mine.container.empty() && pod->containers.size() == 1) {
      // Found by uid or IP (a short-lived process can be gone before its
      // cgroup is read): a one-container pod still names its container.
      mine.container = pod->containers.front().name;
    }
    mine.node = pod->node;
    mine.workload = workload_locked(*pod);
    auto svcs = services_locked(*pod);
    if (!svcs.empty()) mine.service = svcs.front();
  }
  if (mine.node.empty()) mine.node = local_node_;

  if (r.remote_addr.empty()) return;
  std::string rip = ip_of(r.remote_addr);
  // A client sees the ClusterIP (DNAT happens below the socket): the
  // Service is all that is known; the backend pod is not.
  if (auto k = cluster_ips_.find(rip); k != cluster_ips_.end()) {
    if (auto s = services_.find(k->second); s != services_.end()) {
      peer.namespace_ = s->second.namespace_;
      peer.service = s->second.name;
      return;
    }
  }
  if (auto held = pod_by_ip_locked(rip, r.start_ns)) {
    peer.namespace_ = held->namespace_;
    peer.pod = held->name;
    peer.workload = workload_locked(*held);
    auto svcs = services_locked(*held);
    if (!svcs.empty()) peer.service = svcs.front();
  }
}

nlohmann::json MetadataStore::snapshot() const {
  std::shared_lock lock(mu_);
  nlohmann::json pods = nlohmann::json::array(), svcs = nlohmann::json::array(),
                 wls = nlohmann::json::array(), nodes = nlohmann::json::array(),
                 slices = nlohmann::json::array(), ips = nlohmann::json::array();
  for (const auto& [k, p] : pods_) pods.push_back(to_json(p));
  for (const auto& [k, s] : services_) svcs.push_back(to_json(s));
  for (const auto& [k, w] : workloads_) wls.push_back(to_json(w));
  for (const auto& [k, n] : nodes_) nodes.push_back(to_json(n));
  for (const auto& [k, e] : slices_) slices.push_back(to_json(e));
  for (const auto& [ip, hist] : ip_history_) {
    for (const auto& i : hist) {
      ips.push_back({{"ip", ip}, {"uid", i.uid}, {"from_ns", i.from_ns}, {"to_ns", i.to_ns}});
    }
  }
  return {{"pods", pods},   {"services", svcs},         {"workloads", wls},
          {"nodes", nodes}, {"endpointslices", slices}, {"ip_history", ips},
          {"seq", seq_}};
}

bool MetadataStore::load_snapshot(const nlohmann::json& snap, std::string* error) {
  std::unique_lock lock(mu_);
  try {
    pods_.clear();
    ip_history_.clear();
    containers_.clear();
    services_.clear();
    cluster_ips_.clear();
    workloads_.clear();
    nodes_.clear();
    slices_.clear();
    for (const auto& j : snap.at("pods")) {
      PodInfo p = pod_from_json(j);
      for (const auto& c : p.containers)
        if (!c.id.empty()) containers_[c.id] = {p.uid, c.name};
      pods_[p.uid] = std::move(p);
    }
    for (const auto& j : snap.at("services")) {
      ServiceInfo s = service_from_json(j);
      std::string k = key(s.namespace_, s.name);
      for (const auto& ip : s.cluster_ips) cluster_ips_[ip] = k;
      services_[k] = std::move(s);
    }
    for (const auto& j : snap.at("workloads")) {
      WorkloadInfo w = workload_from_json(j);
      workloads_[w.kind + "/" + key(w.namespace_, w.name)] = std::move(w);
    }
    for (const auto& j : snap.at("nodes")) {
      NodeInfo n = node_from_json(j);
      nodes_[n.name] = std::move(n);
    }
    for (const auto& j : snap.value("endpointslices", nlohmann::json::array())) {
      EndpointSliceInfo e = endpointslice_from_json(j);
      slices_[key(e.namespace_, e.name)] = std::move(e);
    }
    for (const auto& j : snap.at("ip_history")) {
      ip_history_[j.at("ip").get<std::string>()].push_back({j.at("uid").get<std::string>(),
                                                            j.at("from_ns").get<uint64_t>(),
                                                            j.at("to_ns").get<uint64_t>()});
    }
    for (auto& [ip, h] : ip_history_) {
      std::sort(h.begin(), h.end(),
                [](const Interval& a, const Interval& b) { return a.from_ns < b.from_ns; });
    }
    return true;
  } catch (const nlohmann::json::exception& e) {
    if (error) *error = std::string("bad snapshot: ") + e.what();
    return false;
  }
}

std::vector<nlohmann::json> MetadataStore::drain_changes(bool* overflowed) {
  std::unique_lock lock(mu_);
  if (overflowed) *overflowed = overflowed_;
  overflowed_ = false;
  std::vector<nlohmann::json> out;
  out.swap(changes_);
  return out;
}

bool MetadataStore::has_changes() const {
  std::shared_lock lock(mu_);
  return !changes_.empty() || overflowed_;
}

MetadataStore::Counts MetadataStore::counts() const {
  std::shared_lock lock(mu_);
  size_t live = 0;
  for (const auto& [k, p] : pods_) live += p.deleted_ns == 0;
  return {live,           services_.size(),   workloads_.size(), nodes_.size(),
          slices_.size(), ip_history_.size(), skipped_};
}

std::vector<PodInfo> MetadataStore::pods() const {
  std::shared_lock lock(mu_);
  std::vector<PodInfo> out;
  for (const auto& [uid, p] : pods_)
    if (!p.deleted_ns) out.push_back(p);
  return out;
}

std::vector<WorkloadInfo> MetadataStore::workloads() const {
  std::shared_lock lock(mu_);
  std::vector<WorkloadInfo> out;
  for (const auto& [k, w] : workloads_) out.push_back(w);
  return out;
}

std::vector<NodeInfo> MetadataStore::nodes() const {
  std::shared_lock lock(mu_);
  std::vector<NodeInfo> out;
  for (const auto& [k, n] : nodes_) out.push_back(n);
  return out;
}

}  // namespace loupe::k8s
