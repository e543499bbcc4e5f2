// How a request record becomes a row of loupe_requests: the column list of
// the INSERT and the RowBinary encoding of one record, kept side by side so
// they cannot drift apart. Every row carries the id of the batch it came in,
// which is how a half-written batch is found again (insert.h).
#pragma once

#include <string_view>

#include "core/record.h"
#include "store/clickhouse/row_binary.h"

namespace loupe::store::clickhouse {

// "loupe_requests (start_ns, duration_ns, ...)": the INSERT target.
std::string_view request_insert_target();
void encode_request(RowBinaryWriter& out, const Record& record, std::string_view batch_id);

}  // namespace loupe::store::clickhouse
