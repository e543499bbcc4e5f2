// Which rows of a rollup table answer a time window (store_schema.h,
// RollupLayout): the hour cells of each whole hour whose compaction is
// current, the minute cells of everything else. A day's services or
// endpoints then read ~24 cells per key instead of 1,440, which keeps the
// answer far below the server's max_result_bytes and its fold short.
//
// An hour's cells are current when the minute cells in its partition are
// as many as its fold markers say compaction left (summed over shards in
// cluster mode). Rows only ever come in by inserts (and leave by whole
// partitions), so any write after the fold, late or replayed, makes the
// hour read from its minute cells until the next fold: answers are exactly
// the minute cells' at every moment, as before hour cells existed.
#pragma once

#include <string>
#include <string_view>

#include "store/clickhouse/client.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

// A SELECT of `columns` from `table` (a rollup table, or its Distributed
// table) over the cells answering `range`, with `filter` (" AND ..." or
// empty) applied to every row. Asks `c` which hours are current first.
// Minute cells have `active` 0; an hour cell's minute is its hour's start
// and its `active` has bit i set when minute i of the hour had traffic.
std::string rollup_cells_sql(Client& c, std::string_view table, std::string_view columns,
                             const TimeRange& range, std::string_view filter);

// The same over the minute cells alone: for answers per step shorter than
// an hour.
std::string minute_cells_sql(std::string_view table, std::string_view columns,
                             const TimeRange& range, std::string_view filter);

}  // namespace loupe::store::clickhouse
