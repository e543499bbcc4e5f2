// The resolver's answers for the connections of the batch being resolved,
// so a connection's later records reuse what its first one was told.
//
// Why: the records of one connection agree on everything the resolver
// reads except their route and pod (process, addresses, Kubernetes names,
// mostly the Host header too), yet naming each one from scratch cost a
// string key built and hashed for the service memo, two hashes per cap,
// a caller name built with its pid, and the identities' strings copied
// (perf of `loupe run` under saturated HTTP: ServiceResolver::resolve,
// std::_Hash_bytes and string disposal were ~7% of the process). Here a
// record finds its connection's answer by a hash of integers and the
// addresses' last bytes, and checks with string comparisons that it is
// the same connection in every field that matters (same_connection).
//
// The table is a fixed array of slots, open addressing: each slot keeps
// its answer's hash, so a record compares strings only with an answer of
// its own hash, and two connections of one slot both keep theirs (when a
// collision replaced the older answer, two connections of one slot took
// turns naming themselves from scratch: ~9,000 of 196,608 records in
// bench/resolver_bench, ~110 instructions a record, docs/benchmarks.md
// "issue 14, runcpu6"). Forgotten at every batch (the records it points
// into are handed back) and whenever the resolver learns something that
// can change an answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/record.h"
#include "store/caller_identity.h"
#include "store/service_identity.h"

namespace loupe::pipeline {

// True when `a` and `b` agree on every field the resolver reads to name a
// record's service, caller and host (everything but the route and pod).
bool same_connection(const Record& a, const Record& b);

struct ConnectionAnswer {
  const Record* exemplar = nullptr;  // the record of this batch it was resolved from
  uint32_t connection = 0;           // its rows' ResolvedRecord::connection
  // In the batch's identities (store::ResolvedBatch::services, callers),
  // which the rows of the connection point at.
  const store::ServiceIdentity* service = nullptr;  // after the services-per-host cap
  bool folded = false;  // past that cap: registered again with each record
  const store::CallerIdentity* caller = nullptr;
  // The pid whose serving service named the caller, or whose absence let
  // it be named "comm (pid N)" (0: the caller was named otherwise); what
  // that pid served then (`caller_by_service`: its service is the caller's
  // name). Checked at every use: a process serving two ports relearns its
  // service with every record of either.
  uint32_t caller_pid = 0;
  bool caller_by_service = false;
  bool workload_served = false;  // as store::ResolvedRecord
  // The last route seen on the connection (a record's of this batch) and
  // whether the routes cap admitted it: a (service, route) once decided
  // stays decided.
  const std::string* route = nullptr;
  bool route_admitted = false;
  // The label set (pipeline/label_sets.h) of the connection's last row and
  // the record it was looked up for (0: none yet, or the route changed).
  uint32_t labels = 0;
  const Record* labelled = nullptr;
};

class ConnectionAnswers {
 public:
  // Forgets every answer: a new batch (the exemplars are gone), or the
  // resolver learnt something that may change answers.
  void forget() {
    ++stamp_;
    used_ = 0;
  }
  // `r`'s connection's answer, when one of this batch's records had it.
  ConnectionAnswer* find(const Record& r);
  // Room for `r`'s answer (its exemplar set to `r`), to fill in, in place
  // of the answer its connection had. Valid until the next add() or
  // forget().
  ConnectionAnswer& add(const Record& r);

 private:
  static constexpr size_t kSlots = 8192;          // a power of two
  static constexpr size_t kAnswers = kSlots / 2;  // then they start over: probes stay short
  static uint64_t hash_of(const Record& r);
  // The slot of `r`'s connection's answer, or the free slot where it
  // would go (there is always one: at most kAnswers are used).
  size_t probe(const Record& r, uint64_t hash) const;

  struct Slot {
    uint32_t answer = 0;
    uint32_t stamp = 0;  // the slot is used when stamp_
    uint64_t hash = 0;
  };
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  // Kept across batches, filled from the front again after each forget().
  std::vector<ConnectionAnswer> answers_;
  size_t used_ = 0;
  uint32_t stamp_ = 1;
};

}  // namespace loupe::pipeline
