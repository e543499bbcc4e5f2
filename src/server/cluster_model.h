// The server's view of the Kubernetes cluster: a MetadataStore fed by
// `loupe cluster` through POST /api/v1/k8s/ingest, persisted in the Store
// (snapshot + changes) so a restart resumes it, and used to enrich records
// before they are stored. Enrichment contract with agents (docs/kubernetes.md):
// an agent puts the process's container id in its record's container and its pod
// uid in its pod; the server replaces them by names and fills the
// namespace, workload, service and the remote side. Until a collector has
// sent anything, records pass untouched (a bare host).
#pragma once

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metric.h"
#include "core/oom_kill.h"
#include "core/profile_minute.h"
#include "core/record.h"
#include "k8s/metadata_store.h"
#include "logs/log_entry.h"
#include "store/store.h"

namespace loupe::server {

class ClusterModel {
 public:
  // retention_ns: how long deleted pods and old IP holders are kept for
  // late records (the store's retention is a good choice; 0 = 1 h).
  ClusterModel(store::Store& store, uint64_t retention_ns);

  // Reloads the latest snapshot and its changes from the store. Returns a
  // message for the log ("" when there was nothing or all went well).
  std::string restore();

  // Applies and stores one collector payload. Throws ParamError naming the
  // bad part. Returns {"applied": changes, "events": n}.
  nlohmann::json ingest(const nlohmann::json& payload, uint64_t now_ns);

  // Records: each side's identity named and interned (IdentityMemo: a
  // batch's records share their pods' identities).
  void enrich(std::vector<Record>& records) const;
  void enrich(Record& r) const;
  // Names a kubepods sample's pod or container ("namespace/pod",
  // "namespace/pod/container") and fills its workload; a sample of a pod
  // the model does not know keeps the agent's name (the cgroup path).
  // server/metric_hold.h holds the samples not named yet a few seconds.
  enum class SampleNaming {
    Named,             // for good: not a kubepods sample, or its pod (container) is known
    ContainerUnknown,  // a container sample of a known pod whose container id is not
    PodUnknown,
  };
  SampleNaming enrich(MetricSample& s) const;
  ClusterEvent to_event(const OomKill& kill) const;
  // Fills the workload (and names) of log entries from their pod uid.
  void enrich(std::vector<logs::Entry>& entries) const;
  // Names the pod, container and workload of profiled processes from their
  // container id or pod uid.
  void enrich(std::vector<ProfileMinute>& minutes) const;

  bool active() const { return active_.load(); }
  // Up to when the model is known to be current: when the last payload
  // (a heartbeat included) arrived. Records started before it minus a
  // settle margin can be named for good (server/pending_enrichment.h).
  uint64_t current_to_ns() const { return current_to_ns_.load(); }
  // API objects the collector skipped (no uid or name), as it last said.
  uint64_t collector_skipped() const { return collector_skipped_.load(); }
  k8s::MetadataStore::Counts counts() const { return meta_.counts(); }
  const k8s::MetadataStore& model() const { return meta_; }

 private:
  store::Store& store_;
  k8s::MetadataStore meta_;
  std::mutex ingest_mu_;  // payloads apply and persist in arrival order
  void enrich(Record& r, IdentityMemo& memo) const;
  // workload_of_service scans every pod: remembered per "ns/name" until the
  // model next changes, so ClusterIP records cost a map lookup.
  mutable std::mutex memo_mu_;
  mutable std::unordered_map<std::string, std::string> service_workload_;
  std::atomic<bool> active_{false};
  std::atomic<uint64_t> current_to_ns_{0};
  std::atomic<uint64_t> collector_skipped_{0};
};

}  // namespace loupe::server
