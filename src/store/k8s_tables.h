// Kubernetes metadata history and cluster events in the store:
//   k8s_snapshots(id, received_ns, collector, body)   one row per snapshot
//   k8s_changes(id, snapshot_id, received_ns, body)   changes after a snapshot
//   k8s_events(namespace, kind, name, container, reason, time_ns, ...)
// A restarted server loads the latest snapshot and replays its changes
// (K8sHistory), so records arriving after a restart resolve as before.
// Records themselves are enriched at ingest, so old rows keep the names of
// their time whatever the cluster looks like later.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class K8sTables {
 public:
  K8sTables() = default;
  explicit K8sTables(Db& wdb);  // creates the tables, prepares statements

  // Inside the caller's transaction; call rolled_back() if it is undone.
  void write(const K8sIngest& in);
  void rolled_back();
  // Keeps the latest snapshot and its changes whatever their age; deletes
  // older snapshots, their changes and events before cutoff_ns.
  void delete_before(uint64_t cutoff_ns);

  static std::optional<K8sHistory> history(Db& db);
  static std::vector<ClusterEvent> events(Db& db, const EventQuery& q);

 private:
  Db* db_ = nullptr;
  Stmt insert_snapshot_, insert_change_, upsert_event_;
  int64_t snapshot_id_ = 0;  // the latest snapshot's id
};

}  // namespace loupe::store
