// A resolved batch folded into the per-minute cells of the three rollup
// tables (store_schema.h), as RowBinary bodies ready to insert: one cell per
// (minute, service, route, method, protocol, counted), per caller -> callee
// edge and per workload -> pod, with the same RollupCell (count, errors,
// latency sum, DDSketch) and the same rules for which rows draw an edge or
// count for a workload as the embedded store.
#pragma once

#include <string>
#include <string_view>

#include "store/resolved_batch.h"

namespace loupe::store::clickhouse {

struct RollupBodies {
  std::string minutes, edges, pods;  // RowBinary; empty: no row
};

// Every row carries `write_id` (prepared_write.h: what a retry looks for).
RollupBodies encode_rollups(const ResolvedBatch& batch, uint64_t write_id);

// The INSERT targets of the three bodies.
std::string record_minute_target();
std::string edge_minute_target();
std::string pod_minute_target();

}  // namespace loupe::store::clickhouse
