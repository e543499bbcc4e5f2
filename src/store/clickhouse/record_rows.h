// How a resolved record becomes a row of loupe_records and comes back as a
// StoredRequest: the column list (the INSERT's and the SELECT's), the
// RowBinary encoding and the TabSeparated decoding, side by side so they
// cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/clickhouse/answer.h"
#include "store/clickhouse/row_binary.h"
#include "store/resolved_batch.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

// "id, start_ns, ..., remote_service": the columns in RowBinary order.
std::string_view record_columns();
size_t record_column_count();

// `id` names the row for request(id) (clickhouse_store.cpp says how it is made).
void encode_record(RowBinaryWriter& out, uint64_t id, const ResolvedRecord& row, const Record& r);

// A row of `SELECT <record_columns()>`; throws Error(Kind::BadAnswer) for a
// field that is not what its column holds.
StoredRequest decode_record(const TsvRow& row);

}  // namespace loupe::store::clickhouse
