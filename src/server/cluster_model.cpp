#include "server/cluster_model.h"

#include "core/time_format.h"
#include "server/api_params.h"

namespace loupe::server {

namespace {

k8s::StoreOptions meta_options(uint64_t retention_ns) {
  k8s::StoreOptions o;
  if (retention_ns) o.retention_ns = retention_ns;
  return o;
}

}  // namespace

ClusterModel::ClusterModel(store::Store& store, uint64_t retention_ns)
    : store_(store), meta_(meta_options(retention_ns)) {}

std::string ClusterModel::restore() {
  auto h = store_.k8s_history();
  if (!h) return "";
  std::lock_guard lock(ingest_mu_);
  auto snap = nlohmann::json::parse(h->snapshot, nullptr, false);
  std::string err;
  if (snap.is_discarded() || !meta_.load_snapshot(snap, &err))
    return "stored Kubernetes snapshot unreadable (" + err + "); waiting for the next one";
  size_t bad = 0;
  for (const auto& text : h->changes) {
    auto c = nlohmann::json::parse(text, nullptr, false);
    if (c.is_discarded() || !meta_.apply_change(c, nullptr)) ++bad;
  }
  meta_.drain_changes(nullptr);  // the server never forwards changes
  active_ = true;
  return bad ? std::to_string(bad) + " stored Kubernetes changes unreadable, skipped" : "";
}

nlohmann::json ClusterModel::ingest(const nlohmann::json& p, uint64_t now_ns) {
  if (!p.is_object() || p.value("kind", "") != "LoupeK8sIngest")
    throw ParamError("kind", "body must be a LoupeK8sIngest payload (docs/kubernetes.md)");
  std::string type = p.value("type", "");
  if (type != "snapshot" && type != "changes")
    throw ParamError("type", "type must be \"snapshot\" or \"changes\"");
  const auto* changes = p.contains("changes") ? &p["changes"] : nullptr;
  if (changes && !changes->is_array()) throw ParamError("changes", "changes must be an array");
  const auto* events = p.contains("events") ? &p["events"] : nullptr;
  if (events && !events->is_array()) throw ParamError("events", "events must be an array");

  store::K8sIngest in;
  in.received_ns = now_ns;
  in.collector = p.value("collector", "");
  std::lock_guard lock(ingest_mu_);
  if (type == "snapshot") {
    if (!p.contains("snapshot") || !p["snapshot"].is_object())
      throw ParamError("snapshot", "a snapshot payload needs a \"snapshot\" object");
    std::string err;
    // Validate on a scratch store first so a bad snapshot leaves the model as it was.
    k8s::MetadataStore scratch;
    if (!scratch.load_snapshot(p["snapshot"], &err)) throw ParamError("snapshot", err);
    meta_.load_snapshot(p["snapshot"], nullptr);
    in.snapshot = p["snapshot"].dump();
  }
  size_t applied = 0;
  if (changes) {
    for (size_t i = 0; i < changes->size(); ++i) {
      std::string err;
      if (!meta_.apply_change((*changes)[i], &err))
        throw ParamError("changes[" + std::to_string(i) + "]", err);
      in.changes.push_back((*changes)[i].dump());
      ++applied;
    }
  }
  meta_.drain_changes(nullptr);
  {
    std::lock_guard memo(memo_mu_);
    service_workload_.clear();
  }
  if (events) {
    for (size_t i = 0; i < events->size(); ++i) {
      const auto& e = (*events)[i];
      if (!e.is_object())
        throw ParamError("events[" + std::to_string(i) + "]", "each event must be an object");
      try {
        in.events.push_back(cluster_event_from_json(e));
      } catch (const nlohmann::json::exception& ex) {
        throw ParamError("events[" + std::to_string(i) + "]",
                         std::string("bad event: ") + ex.what());
      }
    }
  }
  store_.write_k8s(in);
  if (type == "snapshot") active_ = true;
  // The receive time, not the collector's sent_at: immune to clock skew
  // between hosts, late only by the payload's transit.
  if (now_ns > current_to_ns_) current_to_ns_ = now_ns;
  if (auto it = p.find("skipped_objects"); it != p.end() && it->is_number_unsigned())
    collector_skipped_ = it->get<uint64_t>();
  return {{"applied", applied}, {"events", in.events.size()}};
}

void ClusterModel::enrich(Record& r, IdentityMemo& memo) const {
  k8s::ContainerIdentity local{.container_id = r.container(), .pod_uid = r.pod()};
  PodIdentity mine = r.local(), peer = r.remote();
  // The uid is not a name; enrich puts the pod's name back when it knows it.
  // An unknown container id stays as the only clue there is.
  mine.pod.clear();
  meta_.enrich(r, local, mine, peer);
  // A client sees a ClusterIP, so only the Service is known; name the
  // workload behind it when there is exactly one, so both sides of the
  // call agree on the callee (service map, RED de-duplication).
  if (!peer.service.empty() && peer.pod.empty() && peer.workload.empty()) {
    std::string key = peer.namespace_ + "/" + peer.service;
    std::lock_guard lock(memo_mu_);
    auto it = service_workload_.find(key);
    if (it == service_workload_.end())
      it = service_workload_.emplace(key, meta_.workload_of_service(peer.namespace_, peer.service))
               .first;
    peer.workload = it->second;
  }
  r.local_identity = memo.get(mine);
  r.remote_identity = memo.get(peer);
}

void ClusterModel::enrich(Record& r) const {
  IdentityMemo memo;
  enrich(r, memo);
}

void ClusterModel::enrich(std::vector<Record>& records) const {
  if (!active_) return;
  IdentityMemo memo;
  for (auto& r : records) enrich(r, memo);
}

namespace {

// The pod and container a kubepods cgroup names, if the model knows them.
struct PodNames {
  std::string namespace_, pod, container, workload;
};

std::optional<PodNames> pod_names(const k8s::MetadataStore& meta, const std::string& pod_uid,
                                  const std::string& container_id) {
  std::optional<k8s::PodInfo> pod;
  PodNames n;
  if (!container_id.empty()) pod = meta.pod_by_container(container_id, &n.container);
  if (!pod && !pod_uid.empty()) pod = meta.pod_by_uid(pod_uid);
  if (!pod) return std::nullopt;
  n.namespace_ = pod->namespace_;
  n.pod = pod->name;
  if (std::string w = meta.workload_of(*pod); !w.empty()) n.workload = pod->namespace_ + "/" + w;
  return n;
}

}  // namespace

ClusterModel::SampleNaming ClusterModel::enrich(MetricSample& s) const {
  if (s.pod_uid.empty() && s.container_id.empty()) return SampleNaming::Named;
  if (!active_) return SampleNaming::PodUnknown;
  std::optional<PodNames> names = pod_names(meta_, s.pod_uid, s.container_id);
  if (!names) return SampleNaming::PodUnknown;
  s.workload = names->workload;
  if (s.entity != "container") {
    s.name = names->namespace_ + "/" + names->pod;
    return SampleNaming::Named;
  }
  if (names->container.empty()) return SampleNaming::ContainerUnknown;
  s.name = names->namespace_ + "/" + names->pod + "/" + names->container;
  return SampleNaming::Named;
}

void ClusterModel::enrich(std::vector<logs::Entry>& entries) const {
  if (!active_) return;
  // A batch comes in runs of one file: look each pod up once.
  const logs::Entry* prev = nullptr;
  std::optional<PodNames> names;
  for (logs::Entry& e : entries) {
    if (e.pod_uid.empty()) continue;
    if (!prev || prev->pod_uid != e.pod_uid) names = pod_names(meta_, e.pod_uid, "");
    prev = &e;
    if (!names) continue;
    e.namespace_ = names->namespace_;
    e.pod = names->pod;
    e.workload = names->workload;
  }
}

void ClusterModel::enrich(std::vector<ProfileMinute>& minutes) const {
  if (!active_) return;
  for (ProfileMinute& m : minutes) {
    ProfileEntity& e = m.entity;
    if (e.pod_uid.empty() && e.container_id.empty()) continue;
    std::optional<PodNames> names = pod_names(meta_, e.pod_uid, e.container_id);
    if (!names) continue;
    e.namespace_ = names->namespace_;
    e.pod = names->pod;
    e.container = names->container;
    e.workload = names->workload;
  }
}

ClusterEvent ClusterModel::to_event(const OomKill& kill) const {
  std::optional<PodNames> names;
  if (active_) names = pod_names(meta_, kill.pod_uid, kill.container_id);
  if (!names) return loupe::to_cluster_event(kill, "", "", "", "");
  return loupe::to_cluster_event(kill, names->namespace_, names->pod, names->container,
                                 names->workload);
}

}  // namespace loupe::server
