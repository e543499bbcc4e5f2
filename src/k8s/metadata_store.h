// The cluster model: who held which IP when, which Service a ClusterIP
// fronts, which workload and services a pod belongs to, and which pod a
// container id or pod uid names. Fed by reflectors (replace/apply) or by a
// snapshot plus changes (a server keeping history); usable standalone.
//
// Time matters for IPs: pod IPs are reused, so a record is resolved against
// the pod that held the address at the record's start time, not today's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "k8s/cgroup_path.h"
#include "k8s/objects.h"
#include "k8s/reflector.h"

namespace loupe::k8s {

struct StoreOptions {
  uint64_t retention_ns = 3600ull * 1000000000ull;  // keep deleted pods and old IP holders 1 h
  size_t max_changes = 100000;  // beyond this drain_changes() reports overflow: send a snapshot
};

class MetadataStore {
 public:
  using Clock = std::function<uint64_t()>;
  explicit MetadataStore(StoreOptions opts = {}, Clock clock = nullptr);

  // The node this process runs on; filled into records whose pod is unknown.
  void set_local_node(std::string node);

  // Reflector input: a complete list of a resource, or one watch event.
  // Unknown resources and objects without a name are ignored.
  void replace(std::string_view resource, const std::vector<nlohmann::json>& items);
  void apply(std::string_view resource, WatchType type, const nlohmann::json& obj);
  // One entry of a collector's "changes" (compact object shapes, applied at
  // its time_ns; docs/kubernetes.md). False with *error when malformed.
  bool apply_change(const nlohmann::json& change, std::string* error);

  // Lookups. `at_ns` 0 means now.
  std::optional<PodInfo> pod_by_uid(const std::string& uid) const;
  std::optional<PodInfo> pod_by_ip(const std::string& ip, uint64_t at_ns) const;
  // Fills *container_name when given.
  std::optional<PodInfo> pod_by_container(const std::string& id, std::string* container_name) const;
  std::optional<ServiceInfo> service_by_cluster_ip(const std::string& ip) const;
  std::string workload_of(const PodInfo& pod) const;  // "Deployment/api"
  std::vector<std::string> services_of(const PodInfo& pod) const;
  // The one workload whose live pods a Service selects ("Deployment/api");
  // empty when unknown or when pods of several workloads back it.
  std::string workload_of_service(const std::string& ns, const std::string& name) const;

  // Fills the Kubernetes fields of `r`: the local side from the container
  // identity (falling back to the local IP), the remote side from the
  // remote IP at r.start_ns (a ClusterIP gives the Service only). Fields of
  // peers outside the cluster stay empty.
  void enrich(Record& r, const ContainerIdentity& local) const;
  // The same into `mine` and `peer` (what `r` held to start with), for a
  // caller that interns them itself (server/cluster_model.h).
  void enrich(const Record& r, const ContainerIdentity& local, PodIdentity& mine,
              PodIdentity& peer) const;

  // Full state (for a server to start from) and the changes since the last
  // drain (for it to keep history). `overflowed` set when changes were
  // dropped because nobody drained them: send a snapshot instead.
  nlohmann::json snapshot() const;
  bool load_snapshot(const nlohmann::json& snap, std::string* error);
  std::vector<nlohmann::json> drain_changes(bool* overflowed);
  bool has_changes() const;

  struct Counts {
    size_t pods, services, workloads, nodes, endpointslices, ips;
    uint64_t skipped;  // objects without a uid or name, ignored
  };
  Counts counts() const;

  // The inventory: live pods, every controller object, every node.
  std::vector<PodInfo> pods() const;
  std::vector<WorkloadInfo> workloads() const;
  std::vector<NodeInfo> nodes() const;

 private:
  struct Interval {
    std::string uid;
    uint64_t from_ns, to_ns;  // to_ns 0 = still held
  };

  uint64_t now() const;
  void upsert_pod(PodInfo p, uint64_t now_ns);
  void delete_pod(const std::string& uid, uint64_t now_ns);
  void release_ips(const std::string& uid, uint64_t now_ns);
  void record_change(const char* op, const char* kind, nlohmann::json obj, uint64_t now_ns);
  void prune(uint64_t now_ns);
  std::optional<PodInfo> pod_by_ip_locked(const std::string& ip, uint64_t at_ns) const;
  std::string workload_locked(const PodInfo& pod) const;
  std::vector<std::string> services_locked(const PodInfo& pod) const;
  void apply_locked(std::string_view resource, WatchType type, const nlohmann::json& obj,
                    uint64_t now_ns);
  void put_service(ServiceInfo s, bool del, uint64_t now_ns);
  void put_workload(WorkloadInfo w, bool del, uint64_t now_ns);
  void put_node(NodeInfo n, bool del, uint64_t now_ns);
  void put_slice(EndpointSliceInfo e, bool del, uint64_t now_ns);

  StoreOptions opts_;
  Clock clock_;
  mutable std::shared_mutex mu_;
  std::string local_node_;
  std::map<std::string, PodInfo> pods_;  // uid -> pod (deleted ones kept a while)
  std::map<std::string, std::vector<Interval>> ip_history_;  // ip -> holders, oldest first
  std::map<std::string, std::pair<std::string, std::string>> containers_;  // id -> (uid, name)
  std::map<std::string, ServiceInfo> services_;                            // "ns/name"
  std::map<std::string, std::string> cluster_ips_;                         // ip -> "ns/name"
  std::map<std::string, WorkloadInfo> workloads_;                          // "Kind/ns/name"
  std::map<std::string, NodeInfo> nodes_;
  std::map<std::string, EndpointSliceInfo> slices_;  // "ns/name"
  std::vector<nlohmann::json> changes_;
  bool overflowed_ = false;
  uint64_t skipped_ = 0;
  uint64_t seq_ = 0;
  uint64_t last_prune_ns_ = 0;
};

// "10.0.0.1:80" -> "10.0.0.1", "[fd00::1]:80" -> "fd00::1", "10.0.0.1" -> itself.
std::string ip_of(std::string_view addr);

}  // namespace loupe::k8s
