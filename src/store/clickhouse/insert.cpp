#include "store/clickhouse/insert.h"

#include <map>
#include <set>

#include "store/clickhouse/error.h"
#include "store/clickhouse/request_rows.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

enum BatchState : int { kNone = 0, kStarted = 1, kDone = 2 };

void validate(std::string_view batch_id, size_t rows) {
  if (batch_id.empty()) throw Error(Error::Kind::BadInput, "a ClickHouse batch needs a batch id");
  if (batch_id.size() > kMaxBatchIdBytes)
    throw Error(Error::Kind::BadInput, "batch id of " + std::to_string(batch_id.size()) +
                                           " bytes (at most " + std::to_string(kMaxBatchIdBytes) +
                                           ")");
  for (char c : batch_id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw Error(Error::Kind::BadInput, "batch id with a control byte");
  if (rows > kMaxBatchRows)
    throw Error(Error::Kind::BadInput, "batch of " + std::to_string(rows) + " records (at most " +
                                           std::to_string(kMaxBatchRows) + " per insert)");
}

int batch_state(Client& client, const std::string& id_literal) {
  auto rows = client.select(
      "SELECT max(state) FROM " + std::string(kBatchesTable) + " WHERE batch_id = " + id_literal,
      1);
  return rows.empty() ? kNone : static_cast<int>(parse_uint(rows[0][0]));
}

void mark(Client& client, const std::string& id_literal, BatchState state, size_t rows) {
  client.execute("INSERT INTO " + std::string(kBatchesTable) + " (batch_id, state, rows) VALUES (" +
                 id_literal + ", " + std::to_string(state) + ", " + std::to_string(rows) + ")");
}

// The UTC days (days since the epoch) of which rows with this batch id are stored.
std::set<uint64_t> stored_days(Client& client, const std::string& id_literal,
                               const std::map<uint64_t, RowBinaryWriter>& days) {
  std::string list;
  for (const auto& [day, rows] : days) list += (list.empty() ? "" : ", ") + std::to_string(day);
  // toDate(time) IN (...) lets ClickHouse read only the batch's partitions.
  auto rows = client.select("SELECT DISTINCT toUInt32(toDate(time)) FROM " +
                                std::string(kRequestsTable) + " WHERE batch_id = " + id_literal +
                                " AND toUInt32(toDate(time)) IN (" + list + ")",
                            1);
  std::set<uint64_t> stored;
  for (const auto& row : rows) stored.insert(parse_uint(row[0]));
  return stored;
}

}  // namespace

InsertResult insert_requests(Client& client, std::string_view batch_id,
                             std::span<const Record> records) {
  validate(batch_id, records.size());
  InsertResult result;
  const std::string id = quote_literal(batch_id);
  int state = batch_state(client, id);
  if (state >= kDone) {
    result.duplicate = true;
    return result;
  }
  std::map<uint64_t, RowBinaryWriter> days;
  std::map<uint64_t, size_t> day_rows;
  for (const Record& r : records) {
    uint64_t day = r.start_ns / kNsPerDay;
    encode_request(days[day], r, batch_id);
    ++day_rows[day];
  }
  std::set<uint64_t> skip;
  if (state == kStarted) {
    skip = stored_days(client, id, days);
    result.resumed = !skip.empty();
  } else {
    mark(client, id, kStarted, records.size());
  }
  for (auto& [day, rows] : days) {
    if (skip.count(day)) continue;
    client.insert_row_binary(request_insert_target(), rows.bytes());
    result.rows_written += day_rows[day];
  }
  mark(client, id, kDone, records.size());
  return result;
}

}  // namespace loupe::store::clickhouse
