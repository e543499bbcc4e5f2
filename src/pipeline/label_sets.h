// The distinct label sets of the batch being resolved: what a row's
// aggregates are keyed by but its minute (its service and caller, route,
// method, protocol, side, status class, error and error code). Each row
// gets its set's id (store::ResolvedRecord::labels), so the store's rollup
// loop and the request metrics find the cell and the series of a row from
// the row's set, in a vector, instead of each one hashing and comparing
// the row's labels with recent rows' (~100 and ~270 instructions a record,
// docs/benchmarks.md "issue 14, runcpu7"). The resolver looks a set up
// only when a connection's labels change (its first record of the batch,
// a new route, method or status class), most records take their
// connection's last one.
//
// Sets are compared by their identities' addresses (the batch's shared
// identities: one object per distinct identity, Resolver::shared) and the
// texts' bytes; they are views into the batch's records and identities,
// valid for the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/same_text.h"
#include "store/resolved_batch.h"

namespace loupe::pipeline {

// Whether `a` and `b`, two records of one connection (one protocol and
// side), have the same labels but their route: method, status class,
// error and error code. Inline: the resolver asks it for every record.
inline bool same_record_labels(const Record& a, const Record& b) {
  return (a.status == b.status || a.status / 100 == b.status / 100) && a.error == b.error &&
         same_text(a.method, b.method) && (!a.error || same_text(a.error_code, b.error_code));
}

class LabelSets {
 public:
  // At most this many sets a batch; the rows of more get id 0 (not
  // known), which the aggregates look up the long way.
  static constexpr size_t kMaxSets = 8192;

  // Forgets every set: a new batch.
  void forget() {
    ++stamp_;
    sets_.clear();
  }
  // The id (from 1) of the set of `row` (its service, caller and route
  // set) with `r`'s labels, added when new; 0 past kMaxSets.
  uint32_t id(const store::ResolvedRecord& row, const Record& r);
  // Ids given out this batch: 1 to count().
  uint32_t count() const { return static_cast<uint32_t>(sets_.size()); }

 private:
  struct Set {
    const store::ServiceIdentity* service;
    const store::CallerIdentity* caller;
    std::string_view route;
    const Record* record;  // the first record of the set: its method, status, error
    uint64_t hash;
  };
  static constexpr size_t kSlots = 2 * kMaxSets;  // a power of two: probes stay short
  struct Slot {
    uint32_t set = 0;    // its index in sets_
    uint32_t stamp = 0;  // the slot is used when stamp_
  };
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  std::vector<Set> sets_;
  uint32_t stamp_ = 1;
};

}  // namespace loupe::pipeline
