// Reading the embedded store's raw requests back from their chunks
// (store/request_chunks.h): newest or slowest first, counted, or one by
// id, with exactly the filters of store/request_filter.h applied per
// record. Schema and rationale: docs/storage.md.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

// The `q.limit` matches of q in q.order: Newest walks chunks by their
// newest start and Slowest by their longest duration, each stopping once
// no further chunk can beat the `limit`-th match kept so far. Ties go to
// the larger id (the later written).
std::vector<StoredRequest> query_chunked_requests(Db& db, const RequestQuery& q);
// How many records match q, counting at most `at_most`. Chunks wholly
// inside the range count by their row when nothing else filters records.
uint64_t count_chunked_requests(Db& db, const RequestQuery& q, uint64_t at_most);
std::optional<StoredRequest> chunked_request(Db& db, int64_t id);

}  // namespace loupe::store
