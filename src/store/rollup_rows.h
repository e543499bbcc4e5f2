// Read-merge-write of one per-minute rollup cell, shared by every rollup
// table (endpoints, map edges, Kubernetes): an upsert must merge the cell
// already stored for the same key and minute, since records of one minute
// arrive over several batches.
#pragma once

#include <string>

#include "store/rollup.h"
#include "store/sqlite_db.h"

namespace loupe::store {

// `select` is bound to the cell's key and yields (count, errors, sum_ns,
// sketch) when a row exists. Returns `cell` merged with that row; resets
// `select`.
RollupCell merge_with_stored(Stmt& select, RollupCell cell);

// Binds count, errors, sum_ns and the serialized sketch to parameters
// first..first+3 of `upsert`. The sketch is serialized into `blob`, which
// the statement reads from (no copy): keep it alive until the upsert runs.
void bind_cell(Stmt& upsert, int first, const RollupCell& cell, std::string& blob);

}  // namespace loupe::store
