// A per-minute rollup keyed by a pair of names, for views that RED per
// service cannot answer: the service map (caller -> callee, table edge_agg)
// and Kubernetes RED (workload -> pod, table k8s_agg). Same cells as
// minute_agg (count, errors, latency sum and sketch), folded in memory per
// batch and merged into the table in the writer's transaction, so a day of
// map reads ~edges x 1440 rows instead of every raw record. The cells are
// kept from round to round while they get records (store/rollup_rows.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/record.h"
#include "store/rollup.h"
#include "store/rollup_answers.h"
#include "store/rollup_rows.h"
#include "store/sqlite_db.h"

namespace loupe::store {

class PairRollup {
 public:
  PairRollup() = default;
  // Creates `table` if needed and prepares the writer's statements.
  PairRollup(Db& wdb, std::string table);

  // Folds one record into the kept cells. Kinds are informational
  // (the last one written wins), not part of the key. The views must stay
  // valid and unchanged until flush() or discard() (the writer's batch's
  // identities and records): a call with the last call's views, the same
  // bytes at the same addresses, folds into the last cell without
  // comparing them.
  void add(std::string_view a, std::string_view a_kind, std::string_view b, std::string_view b_kind,
           const Record& r);
  // Writes the cells that changed since the last flush into the table
  // (inside the caller's transaction) and forgets the others.
  void flush();
  // Forgets every kept cell: their rows were rolled back or deleted.
  void forget() {
    cells_.clear();
    last_ = nullptr;
  }
  // Deletes minutes that ended at or before cutoff_s (and forgets the
  // kept cells).
  void delete_before(int64_t cutoff_s);

  // Folds the cells of minutes in [from_m, to_m) into `fold`, optionally
  // only those with a == only_a.
  static void query(Db& db, const std::string& table, int64_t from_m, int64_t to_m,
                    const std::optional<std::string>& only_a, PairFold& fold);

 private:
  struct Cell {
    std::string a, a_kind, b, b_kind;
    Protocol protocol = Protocol::Unknown;
    uint64_t minute_s = 0;
    KeptCell kept;
  };
  std::string table_;
  Db* db_ = nullptr;
  RollupStatements statements_;
  std::unordered_map<std::string, Cell> cells_;
  std::string key_;       // reused buffer
  Cell* last_ = nullptr;  // the cell the last add() folded into (in cells_)
  // The views the last add() was given: the resolver shares one identity
  // between a batch's connections named alike, so most rows name theirs
  // at the same addresses as the last row.
  std::array<std::string_view, 4> last_views_;
};

}  // namespace loupe::store
