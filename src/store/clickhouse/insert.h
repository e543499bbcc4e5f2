// Writes a batch of request records to loupe_requests exactly once per batch
// id, however often the same batch is sent (an agent retrying after a lost
// acknowledgement, a spool replaying after an outage).
//
// ClickHouse 18.16 has no insert deduplication for plain MergeTree tables
// (only Replicated ones dedupe, by block hash; the insert_deduplication_token
// setting came in 22.2), so the batch table records progress:
//   1. loupe_batches has (id, state 2 "done"): the batch is stored; nothing to do.
//   2. no row: write (id, 1 "started"), insert the rows, write (id, 2).
//   3. (id, 1) only: an earlier attempt stopped part way. Each UTC day of a
//      batch is one INSERT, hence one part of one partition, which ClickHouse
//      commits whole or not at all: the days whose rows carry the batch id
//      are complete and skipped, the others are inserted, then (id, 2).
// One writer per batch id at a time: two writers sending the same new batch
// at the same moment could both find no row (documented in
// docs/storage-clickhouse.md).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/record.h"
#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {

// At most this many rows per batch: each day's rows must stay one block
// (ClickHouse's max_insert_block_size is 1,048,576 rows) to be one part.
inline constexpr size_t kMaxBatchRows = 1'000'000;
inline constexpr size_t kMaxBatchIdBytes = 256;

struct InsertResult {
  size_t rows_written = 0;  // rows inserted by this call
  bool duplicate = false;   // the batch was already stored: nothing written
  bool resumed = false;     // an earlier attempt had stored some days of it
};

// Throws Error(Kind::BadInput) for an empty or oversized batch id (or one
// with control bytes) or more than kMaxBatchRows records; any server error
// as Error, after which the same call may be repeated.
InsertResult insert_requests(Client& client, std::string_view batch_id,
                             std::span<const Record> records);

}  // namespace loupe::store::clickhouse
