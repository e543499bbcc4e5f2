// The resolve stage of the record pipeline: enriched records in, resolved
// rows out (store/resolved_batch.h). It names each exchange's service (the
// callee for client records, store/service_identity.h) and whether it counts
// in RED, its caller and whether it draws the service map's edge
// (store/caller_identity.h), the workload and pod it counts for, and folds
// routes and services past the cardinality caps into "{other}"
// (store/cardinality_cap.h). No I/O: what it learns (servers seen, callers,
// the names under each cap) it keeps in memory, starting from what the
// store holds (seed).
//
// A batch is resolved server records first, so a client record whose
// server side is in the same batch is recognised as local (and not counted
// twice), and client records are learnt before any server record, so a
// local call's server side can name its caller.
//
// A connection's records are named once per batch: the first one from
// scratch, the others from its answer (pipeline/connection_answers.h),
// with the same names as from scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/recent_slots.h"
#include "core/record.h"
#include "pipeline/connection_answers.h"
#include "pipeline/label_sets.h"
#include "store/caller_identity.h"
#include "store/cardinality_cap.h"
#include "store/resolved_batch.h"
#include "store/service_identity.h"

namespace loupe::pipeline {

struct ResolveOptions {
  // Cardinality caps (0: none). Past them a record's route is "{other}" /
  // its service "{other}" ("external:{other}" for external peers).
  size_t max_routes_per_service = 500;
  size_t max_services_per_host = 1000;  // host: the record's node, else its local IP
  // The port Loupe's own server listens on: calls from local clients to it
  // (the web UI in a browser, `loupe query`), and what a process named
  // "loupe" serves on it, are service "loupe", kind "loupe", which the UI and
  // the requests query leave out unless asked. 0: none.
  uint16_t self_port = 0;
};

class Resolver {
 public:
  explicit Resolver(ResolveOptions options = {});

  // Starts again from what a store holds: its services and the routes of
  // its rollups (the services-per-host cap is relearnt from traffic; the
  // callers learnt are kept, they are not stored).
  void seed(const store::ResolverSeed& seed);

  // Resolves `records` (not copied: the batch points into them) and learns
  // from them. Batches must be resolved in the order they are stored.
  store::ResolvedBatch resolve(const store::BatchRecords& records);
  // The same into `out`, whose rows are replaced: a caller that keeps `out`
  // across batches builds each one in memory already faulted in (a row is
  // over 200 bytes with its five names, a batch up to 50k rows) instead of
  // a fresh vector taken from the heap and given back every round (perf of
  // `loupe run`: page faults and sysmalloc in the writer thread).
  void resolve(const store::BatchRecords& records, store::ResolvedBatch& out);

 private:
  // `r` named from scratch, its connection's answer kept for the batch's
  // next records; new services registered in `out`.
  ConnectionAnswer& answer(const Record& r, store::ResolvedBatch& out);
  // False when what named the answer's caller has changed since.
  bool still_holds(const ConnectionAnswer& a) const;
  // The batch's one copy of `id` (out.services / out.callers): connections
  // named alike share it, so the store's row loop and the request metrics
  // compare two rows' names by address (~100 instructions a record of
  // string compares, docs/benchmarks.md "issue 14, runcpu6").
  const store::ServiceIdentity& shared(store::ServiceIdentity&& id, store::ResolvedBatch& out);
  const store::CallerIdentity& shared(store::CallerIdentity&& id, store::ResolvedBatch& out);
  // callers_.learn(r, service) for a server record, skipped when the last
  // one learnt was this pid serving this (shared) service: nothing else
  // changes what it learnt (a map lookup and a compare per server record).
  void learn_server(const Record& r, const store::ServiceIdentity& service);
  // callers_.learn_client(r), skipped for a record of a connection learnt
  // from another record of this batch: that was a string hash per client
  // record (~130 instructions a record, docs/benchmarks.md "issue 14,
  // runcpu4"), and a connection's records all say the same.
  void learn_client(const Record& r);

  ResolveOptions options_;
  store::ServiceResolver services_;
  store::CallerResolver callers_;
  store::CardinalityCap routes_per_service_, services_per_host_;
  ConnectionAnswers answers_;
  LabelSets label_sets_;                   // this batch's
  RecentSlots<const Record*, 64> learnt_;  // client records of this batch learnt
  // This batch's identities by value (shared()), and its answers so far.
  std::unordered_map<std::string, const store::ServiceIdentity*> batch_services_;
  std::unordered_map<std::string, const store::CallerIdentity*> batch_callers_;
  std::string identity_key_;
  // This batch's server and client records with their index in the batch,
  // in batch order (resolve()'s first pass); kept with their capacity.
  struct Place {
    const Record* record;
    uint32_t index;
  };
  std::vector<Place> servers_, clients_;
  static constexpr size_t kKeptPlaces = 16384;
  uint32_t connections_ = 0;
  uint32_t learnt_pid_ = 0;  // learn_server's last (0: none this batch)
  const store::ServiceIdentity* learnt_service_ = nullptr;
};

}  // namespace loupe::pipeline
