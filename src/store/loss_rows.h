// The `losses` table: per minute, how many parsed records and kernel events
// never reached the store (ingest queue full, store write failed, ring
// buffer full). Kept so the UI can mark a window as incomplete where it
// shows that window's data, not only as a total on the status page.
#pragma once

#include <cstdint>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

extern const char* const kLossSchema;

// Adds each minute's counts to what is stored (one upsert per minute).
// Runs inside the caller's transaction.
void add_losses(Db& db, const std::vector<LossMinute>& losses);

// Minutes of [from_s, to_s) (minute starts, unix seconds) with any loss, ascending.
std::vector<LossMinute> query_losses(Db& db, int64_t from_s, int64_t to_s);

// Deletes minutes that ended at or before `cutoff_s`.
void delete_losses_before(Db& db, int64_t cutoff_s);

}  // namespace loupe::store
