// loupe_logs' rows as ClickHouseStore writes them (RowBinary, kLogColumns'
// order), and the question that keeps an entry stored once per (node,
// source, offset) when the spool sends them: entries an agent sends again
// (after a restart, or a lost answer while ClickHouse was down) carry the
// same node, source, offset and time as the first time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "logs/log_entry.h"
#include "store/clickhouse/client.h"
#include "store/clickhouse/row_binary.h"

namespace loupe::store::clickhouse {

// The INSERT's columns, in the order encode_log_row writes them.
inline constexpr std::string_view kLogColumns =
    "id, time_ns, node, source, file, namespace, pod, container, workload, pod_uid, pos, level, "
    "stream, truncated, pattern, text";

void encode_log_row(RowBinaryWriter& out, uint64_t id, const logs::Entry& e);

// `rows` (encode_log_row's) without the entries loupe_logs holds already
// and without repeats among `rows` themselves (a replay merges several
// spooled writes, which may hold one entry twice): one SELECT of the
// (node, source, pos) stored over the rows' time span and nodes. Throws
// Error (ClickHouse's) when it cannot ask, StoreError for rows it cannot
// read (a damaged spool file).
std::string without_stored_logs(Client& client, std::string_view rows);

}  // namespace loupe::store::clickhouse
