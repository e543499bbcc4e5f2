// What a Store is given to persist: a batch of records with the names the
// record pipeline's resolve stage (pipeline/resolver.h) gave each one. Every
// decision about a record (its service, whether it counts in RED, its
// caller, whether it draws a map edge, which workload and pod served it,
// which route it is filed under) is made there, once, for every backend; a
// store only keeps what it is given and answers queries over it.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/record.h"
#include "store/batch_records.h"
#include "store/caller_identity.h"
#include "store/service_identity.h"

namespace loupe::store {

// A service resolved for the first time. The store keeps it (GET
// /api/v1/services lists it with its ports even in windows without
// traffic) and hands it back in ResolverSeed after a restart.
struct ServiceRegistration {
  std::string name;
  std::string kind;   // as ServiceIdentity::kind
  uint16_t port = 0;  // the listening port; 0: none
  std::string ip;     // a local server's IP (the resolver learns it as local); empty otherwise
};

// One record of a ResolvedBatch and its names. The service and caller are
// shared by the rows named alike (ResolvedBatch::services, callers),
// not copied into each row: five strings a row were ~300 instructions of
// the ~3,600 `loupe run`'s ingest writer spends a record
// (docs/benchmarks.md, "issue 14, runcpu5"). Never null in a batch the
// resolver made.
struct ResolvedRecord {
  uint32_t index = 0;  // the record: ResolvedBatch::records[index]
  // Who served it (the callee for client records); counted: counts in RED.
  const ServiceIdentity* service = nullptr;
  std::string_view route;  // the record's route, or kOtherName past the routes-per-service cap
  const CallerIdentity* caller = nullptr;  // who called; counted: this record draws the map edge
  // Kubernetes RED (/workloads, /pods): this record counts for what the
  // workload `service.name` served, through its pod `pod` (empty when the
  // pod has no name).
  bool workload_served = false;
  std::string_view pod;
  // Rows of one non-zero `connection` are records of one connection: the
  // same process, addresses, host and Kubernetes names but the pods (what
  // the resolver's same_connection compares). 0: not known.
  uint32_t connection = 0;
  // Rows of one non-zero `labels` have the same service and caller (the
  // same objects), route, method, protocol, side, status class, error and
  // error code: everything the rollups' and request metrics' keys are
  // made of but the minute (pipeline/label_sets.h). From 1 to
  // ResolvedBatch::label_sets; 0: not known (looked up the long way).
  uint32_t labels = 0;
};

// The string_views of `rows` point into `records` (or at kOtherName), so
// the batch is valid as long as the records it was resolved from; their
// identities point into `services` and `callers` (or at identities their
// maker keeps), so a copy of a batch is valid as long as the original.
struct ResolvedBatch {
  BatchRecords records;  // the records as enriched, where they were handed over; not copied
  // One row per record, in the order the resolver decided them (server
  // side first). A store folds them in this order.
  std::vector<ResolvedRecord> rows;
  std::vector<ServiceRegistration> new_services;  // first resolved in this batch
  uint32_t label_sets = 0;                        // the rows' highest `labels`
  // The rows' identities, one per distinct identity of the batch, shared
  // by the rows of every connection named alike: two rows name the same
  // service (caller) when they point at the same one (a deque: appending
  // one moves none the rows point at).
  std::deque<ServiceIdentity> services;
  std::deque<CallerIdentity> callers;
};

// Where the resolver starts from when a pipeline opens a store that holds
// data already, or after the store forgot names (Store::seed_generation).
struct ResolverSeed {
  std::vector<ServiceRegistration> services;  // every registered service still in use
  // Every (service, route) of the stored per-minute rollups, so the
  // routes-per-service cap holds across restarts.
  std::vector<std::pair<std::string, std::string>> routes;
};

}  // namespace loupe::store
