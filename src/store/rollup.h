// Per-minute aggregation: what one row of the minute_agg table holds, how a
// batch of records is folded into those rows before they are written, and
// how rows read back are folded into a RED summary.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/record.h"
#include "store/sketch.h"
#include "store/store.h"

namespace loupe::store {

// Names are dictionary ids (see SqliteStore::name_id) so building and
// hashing a key per record costs no allocation.
struct RollupKey {
  int64_t service_id = 0, method_id = 0, route_id = 0;
  Protocol protocol = Protocol::Unknown;
  bool counted = true;
  uint64_t minute_s = 0;  // start of the minute, unix seconds
  bool operator==(const RollupKey&) const = default;
};

struct RollupKeyHash {
  size_t operator()(const RollupKey& k) const;
};

struct RollupCell {
  uint64_t count = 0;
  uint64_t errors = 0;
  uint64_t sum_ns = 0;
  Sketch sketch;

  void add(const Record& r);
  void merge(const RollupCell& o);
};

// A rollup cell the ingest writer keeps from round to round while its
// minute is recent (store/rollup_rows.h): it holds the row's whole value,
// what the table has plus the records added since, so a round merges
// into it instead of reading the row back and updates the row in place.
struct KeptCell {
  RollupCell cell;
  bool stored = false;   // the table's row is `cell` as last written
  bool changed = false;  // records added since it was last written

  void add(const Record& r) {
    cell.add(r);
    changed = true;
  }
};

struct RollupEntry {
  std::string service, method, route;  // filled when the entry is created
  KeptCell kept;
};

using Rollup = std::unordered_map<RollupKey, RollupEntry, RollupKeyHash>;

inline uint64_t minute_of(uint64_t unix_ns) { return unix_ns / 60'000'000'000ULL * 60; }

// Folds aggregate rows into one RED summary over a window of `window_s`.
class RedAccumulator {
 public:
  // `minute_s`: the row's minute, so the summary knows which minutes had
  // traffic (active_rate_per_s); rows without it count for the window only.
  void add(uint64_t count, uint64_t errors, std::string_view sketch_bytes,
           std::optional<int64_t> minute_s = std::nullopt);
  // The minutes of an hour that had traffic: bit i of `minutes` for the
  // minute starting at hour_s + 60 i (a cell of a whole hour).
  void add_active_minutes(int64_t hour_s, uint64_t minutes);
  RedSummary finish(double window_s) const;
  const Sketch& sketch() const { return sketch_; }

 private:
  uint64_t count_ = 0, errors_ = 0;
  Sketch sketch_;
  std::set<int64_t> minutes_;
};

}  // namespace loupe::store
