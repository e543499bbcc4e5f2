// The `requests` table of stores made before raw requests went into
// chunks (one row per exchange, keyed by time): opening such a store
// converts its rows into request_chunks (store/request_chunks.h) and drops
// the table. Schema history: docs/storage.md.
#pragma once

#include <cstdint>

#include "store/request_chunks.h"
#include "store/sqlite_db.h"

namespace loupe::store {

// Converts every row of an old `requests` table on `db` into chunks
// through `chunks`, a transaction per batch of rows (each batch's rows are
// deleted in the transaction that adds their chunks, so an interrupted
// conversion resumes where it stopped), then drops the table. Big tables
// print their progress on stderr. Returns how many rows were converted;
// 0 when there is no such table.
uint64_t convert_legacy_requests(Db& db, ChunkWriter& chunks);

}  // namespace loupe::store
