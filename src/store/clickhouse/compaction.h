// Rollup compaction: every write adds one row per key and minute to the
// rollup tables (store_schema.h), so a busy key has up to 60 rows per minute.
// Once an hour is finished, its partition (the rollups are partitioned by
// UTC hour since schema version 4) is folded into one row per key and minute
// and swapped in whole with `ALTER TABLE ... REPLACE PARTITION ID`, which
// 18.16 applies atomically: a reader sees the hour's rows before or after,
// never both or neither, and the old parts are freed at once (no DELETE
// mutation rewriting the day, no FINAL on reads). Folding adds the cells'
// counts, errors and latency sums and merges their DDSketches, so every
// answer is the same before and after (tests/unit/store/conformance).
// Since schema version 10 the fold also leaves each key's cell of the whole
// hour and a marker counting the minute cells it left, which long windows
// read instead of 60 minute cells per key (rollup_window.h).
//
// Rows written into the hour while it is folded: the partition's parts are
// read before folding and again just before the swap, and the hour is left
// for the next round when they changed. What remains is the moment between
// that second look and the swap (one round trip); only hours that ended
// kCompactionGrace ago are folded, so only a record that old arriving in
// that moment could be lost. The write ids of the rows folded (the column
// the folded rows no longer carry) are noted in loupe_folded_writes before
// the swap, so a spooled write resumed later still finds that its cells of
// the hour are stored (prepared_write.h). Each hour's result is kept in
// loupe_compactions, and an hour is folded again only when its row count
// changed since (a late write).
#pragma once

#include <chrono>
#include <cstdint>

#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {

inline constexpr std::chrono::minutes kCompactionGrace{10};

struct CompactionResult {
  size_t hours = 0;          // partitions replaced
  uint64_t rows_before = 0;  // rows of those partitions before
  uint64_t rows_after = 0;   // and after
};

// Folds every hour that ended at or before `before_ns` (unix ns) and has rows
// not yet folded, in the three rollup tables: the URL's, or the host's local
// tables in cluster mode (cluster.h; each shard folds its own rows).
// At most `max_hours` partitions per call: the server compacts on its
// ingest thread once a minute, so a backlog (the first run after upgrading)
// is worked off a few hours at a time rather than holding writes back.
CompactionResult compact_rollups(Client& client, uint64_t before_ns, bool local_tables = false,
                                 size_t max_hours = 6);

}  // namespace loupe::store::clickhouse
