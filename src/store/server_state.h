// The state a server keeps besides records and signals: batches held for
// the cluster model (HeldBatch) and the Kubernetes history the model is
// rebuilt from. By default it lives in the embedded store; with `loupe
// server --state postgres://...` in PostgreSQL (postgres/state_store.h), so
// several replicas share it. SplitStore sends these calls here when given one.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/store.h"

namespace loupe::store {

class ServerState {
 public:
  virtual ~ServerState() = default;
  // Keeps each batch in one transaction, assigning its id. Throws StoreError.
  virtual void hold(const std::vector<HeldBatch*>& batches) = 0;
  // Forgets these held batches: their records are stored now.
  virtual void release(const std::vector<uint64_t>& ids) = 0;
  // The held batches no running server holds (a dead one's, or this
  // server's before a restart), oldest first; each is this server's to
  // store from then on, and no other server's.
  virtual std::vector<HeldBatch> held_batches() = 0;
  // The snapshot and changes of one collector post (not its events).
  virtual void write_k8s_history(const K8sIngest& in) = 0;
  virtual std::optional<K8sHistory> k8s_history() = 0;
  // Forgets Kubernetes history older than the retention, but keeps the
  // latest snapshot and its changes whatever their age.
  virtual void enforce_retention(uint64_t now_ns) = 0;
};

}  // namespace loupe::store
