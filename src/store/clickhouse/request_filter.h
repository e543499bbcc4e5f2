// The WHERE clause of a RequestQuery over loupe_records, shared by the query
// that lists exchanges and the one that counts them, so both agree on what
// matches; the same conditions as the embedded store's (store/request_filter.h).
// Values are written as literals (quote_literal): the HTTP interface has no
// bound parameters in 18.16.
#pragma once

#include <string>

#include "store/store.h"

namespace loupe::store::clickhouse {

// A record's duration as Record::duration_ns() computes it (0 when the end
// precedes the start).
inline constexpr const char* kDurationNs = "if(end_ns > start_ns, end_ns - start_ns, 0)";

// " WHERE ...", with the range also on the partition's `time` column so
// ClickHouse reads only the days it covers.
std::string request_where(const RequestQuery& q);

}  // namespace loupe::store::clickhouse
