#include "store/clickhouse/prepared_write.h"

#include <algorithm>
#include <deque>
#include <iostream>
#include <map>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/log_rows.h"
#include "store/clickhouse/record_rows.h"
#include "store/clickhouse/rollup_cells.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/shard_writes.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kMagic = "LOUPE-CH-WRITE-3\n";  // 2: parts per hour; 3: rows
constexpr std::string_view kEnd = "\nEND\n";

constexpr uint64_t kNsPerHour = 3600ULL * 1'000'000'000ULL;

// Selects the rows of write `write_id` in `part`'s table and hour (the hour
// bounds let ClickHouse read only that partition).
std::string rows_of_write(const WritePart& part, uint64_t write_id) {
  // A record's or log entry's id is write_id << kIndexBits | its index.
  bool by_id = part.table == kRecordsTable || part.table == kLogsTable;
  std::string time_column = by_id ? "time" : "minute";
  uint64_t from = uint64_t{part.hour} * 3600;
  std::string where = time_column + " >= toDateTime(" + std::to_string(from) + ") AND " +
                      time_column + " < toDateTime(" + std::to_string(from + 3600) + ") AND ";
  if (by_id)
    return where + "id >= " + std::to_string(write_id << kIndexBits) + " AND id < " +
           std::to_string((write_id + 1) << kIndexBits);
  return where + "write_id = " + std::to_string(write_id);
}

uint64_t count_of(Client& client, const std::string& sql) {
  auto rows = client.select(sql, 1);
  return rows.empty() ? 0 : parse_uint(rows[0][0]);
}

// Whether compaction folded the write's rows of `part`'s hour (their
// write id is then gone from the rollup table, listed here instead).
bool folded(Client& client, const WritePart& part, uint64_t write_id) {
  if (part.table != kRecordMinuteTable && part.table != kEdgeMinuteTable &&
      part.table != kPodMinuteTable)
    return false;  // only the rollups are compacted
  return count_of(client, "SELECT count() FROM " + std::string(kFoldedWritesTable) +
                              " WHERE table = " + quote_literal(part.table) +
                              " AND hour = toDateTime(" +
                              std::to_string(uint64_t{part.hour} * 3600) +
                              ") AND write_id = " + std::to_string(write_id)) > 0;
}

// In this order: the compactor notes the write ids before it swaps the
// folded rows in, so a compaction between the two questions is seen by
// the second.
bool holds(Client& client, const WritePart& part, uint64_t write_id) {
  return count_of(client, "SELECT count() FROM " + part.table + " WHERE " +
                              rows_of_write(part, write_id)) > 0 ||
         folded(client, part, write_id);
}

enum class KeysStored { NotAll, ByThisWrite, ByOthers };

KeysStored keys_stored(Client& client, const PreparedWrite& write) {
  std::string list;
  for (const std::string& id : write.batch_ids)
    list += (list.empty() ? "" : ", ") + quote_literal(id);
  auto rows = client.select("SELECT countIf(write_id = " + std::to_string(write.write_id) +
                                "), uniqExact(batch_id) FROM " + std::string(kBatchesTable) +
                                " WHERE state = 2 AND batch_id IN (" + list + ")",
                            2);
  if (rows.empty()) return KeysStored::NotAll;
  if (parse_uint(rows[0][0]) > 0) return KeysStored::ByThisWrite;
  return parse_uint(rows[0][1]) == write.batch_ids.size() ? KeysStored::ByOthers
                                                          : KeysStored::NotAll;
}

// Every batch of `write` was stored by another write (the agent sent it
// again to another replica while this one was down): the parts this write
// had sent before it stopped would count those records twice, so they go
// (a mutation; ClickHouse applies it in the background).
void withdraw(Client& client, const PreparedWrite& write, ShardWrites* shards) {
  for (const WritePart& part : write.parts) {
    if (part.hour == kAnyHour) continue;
    if (folded(client, part, write.write_id)) {
      // Folded into cells shared with other writes: nothing to delete them by.
      std::cerr << "loupe: ClickHouse spool: write " << write.write_id << " of batches stored "
                << "again by another replica had reached " << part.table
                << ", whose hour is compacted since; those rollup cells stay counted twice\n";
      continue;
    }
    if (count_of(client, "SELECT count() FROM " + part.table + " WHERE " +
                             rows_of_write(part, write.write_id)) == 0)
      continue;
    // A Distributed table takes no DELETE: in cluster mode it runs on the
    // local tables, shard by shard.
    std::string where = " DELETE WHERE " + rows_of_write(part, write.write_id);
    if (shards)
      shards->on_each_shard(client.url(), "ALTER TABLE " + local_table(part.table) + where);
    else
      client.execute("ALTER TABLE " + part.table + where);
  }
}

std::string column_list(std::string_view table, std::string_view columns) {
  return std::string(table) + " (" + std::string(columns) + ")";
}

std::string encode_services(const std::vector<ServiceRegistration>& services) {
  RowBinaryWriter out;
  for (const ServiceRegistration& s : services) {
    out.string(s.name);
    out.string(s.kind);
    out.uint16(s.port);
    out.string(s.ip);
  }
  return out.take();
}

std::string encode_batch_keys(const std::vector<BatchKey>& keys, uint64_t write_id) {
  RowBinaryWriter out;
  for (const BatchKey& k : keys) {
    out.string(batch_id_of(k));
    out.uint8(2);  // "done", as insert.h writes it
    out.uint64(0);
    out.uint64(write_id);
  }
  return out.take();
}

}  // namespace

PreparedWrite prepare_write(const ResolvedBatch& batch, const std::vector<BatchKey>* keys,
                            uint64_t write_id) {
  PreparedWrite w;
  w.write_id = write_id;
  w.records = batch.rows.size();
  // The records of an hour are its biggest part (a rollup has a row per
  // minute and key at most; new services and batch keys are fewer).
  w.rows = std::max<uint64_t>({w.records, batch.new_services.size(), keys ? keys->size() : 0});
  const uint64_t prefix = write_id << kIndexBits;
  // Services first: the resolver will not register them again.
  if (!batch.new_services.empty())
    w.parts.push_back({std::string(kServicesTable),
                       column_list(kServicesTable, "name, kind, port, ip"), kAnyHour,
                       encode_services(batch.new_services)});
  // One part per table and UTC hour: one INSERT into one partition is one
  // ClickHouse part, committed whole, which is what lets a retry skip it.
  std::map<uint32_t, std::vector<uint32_t>> hours;  // hour -> positions in batch.rows
  for (uint32_t i = 0; i < batch.rows.size(); ++i)
    hours[static_cast<uint32_t>(batch.records[batch.rows[i].index].start_ns / kNsPerHour)]
        .push_back(i);
  for (const auto& [hour, positions] : hours) {
    RowBinaryWriter records;
    ResolvedBatch of_hour{batch.records, {}, {}};
    for (uint32_t i : positions) {
      const ResolvedRecord& row = batch.rows[i];
      encode_record(records, prefix | i, row, batch.records[row.index]);
      if (hours.size() > 1) of_hour.rows.push_back(row);
    }
    w.parts.push_back({std::string(kRecordsTable), column_list(kRecordsTable, record_columns()),
                       hour, records.take()});
    RollupBodies rollups = encode_rollups(hours.size() > 1 ? of_hour : batch, write_id);
    for (auto& [table, target, body] :
         {std::tuple{kRecordMinuteTable, record_minute_target(), &rollups.minutes},
          std::tuple{kEdgeMinuteTable, edge_minute_target(), &rollups.edges},
          std::tuple{kPodMinuteTable, pod_minute_target(), &rollups.pods}})
      if (!body->empty()) w.parts.push_back({std::string(table), target, hour, std::move(*body)});
  }
  if (keys) add_batch_keys(w, *keys);
  return w;
}

void add_batch_keys(PreparedWrite& write, const std::vector<BatchKey>& keys) {
  if (keys.empty()) return;
  for (const BatchKey& k : keys) write.batch_ids.push_back(batch_id_of(k));
  write.rows = std::max<uint64_t>(write.rows, keys.size());
  write.parts.push_back({std::string(kBatchesTable),
                         column_list(kBatchesTable, "batch_id, state, rows, write_id"), kAnyHour,
                         encode_batch_keys(keys, write.write_id)});
}

PreparedWrite idempotent_write(std::string_view table, std::string_view columns, std::string body,
                               uint64_t rows) {
  PreparedWrite w;
  w.rows = rows;
  w.parts.push_back({std::string(table), column_list(table, columns), kAnyHour, std::move(body)});
  return w;
}

PreparedWrite hourly_write(uint64_t write_id, std::string_view table, std::string_view columns,
                           std::map<uint32_t, std::string> bodies, uint64_t rows,
                           std::optional<WritePart> first) {
  PreparedWrite w;
  w.write_id = write_id;
  w.rows = rows;
  if (first) w.parts.push_back(std::move(*first));
  for (auto& [hour, body] : bodies)
    w.parts.push_back({std::string(table), column_list(table, columns), hour, std::move(body)});
  return w;
}

PreparedWrite merge_writes(std::vector<PreparedWrite> writes) {
  if (writes.size() == 1) return std::move(writes.front());
  // Services, then the hourly parts by hour and table, then the batch keys.
  auto rank = [](const WritePart& p) -> std::pair<uint64_t, int> {
    if (p.hour != kAnyHour) {
      int table = p.table == kRecordsTable        ? 0
                  : p.table == kRecordMinuteTable ? 1
                  : p.table == kEdgeMinuteTable   ? 2
                                                  : 3;
      return {uint64_t{p.hour} + 1, table};
    }
    return {p.table == kBatchesTable ? ~uint64_t{0} : 0, 0};
  };
  std::map<std::pair<std::pair<uint64_t, int>, std::string>, WritePart> parts;
  PreparedWrite merged;
  for (PreparedWrite& w : writes) {
    merged.records += w.records;
    merged.rows += w.rows;
    for (std::string& id : w.batch_ids) merged.batch_ids.push_back(std::move(id));
    for (WritePart& p : w.parts) {
      auto [at, added] = parts.try_emplace({rank(p), p.table}, std::move(p));
      if (!added) at->second.body += p.body;
    }
  }
  for (auto& [key, part] : parts) merged.parts.push_back(std::move(part));
  return merged;
}

size_t PreparedWrite::body_bytes() const {
  size_t n = 0;
  for (const WritePart& p : parts) n += p.body.size();
  return n;
}

std::string serialize(const PreparedWrite& write) {
  RowBinaryWriter out;
  for (char c : kMagic) out.uint8(static_cast<uint8_t>(c));
  out.uint64(write.write_id);
  out.uint64(write.records);
  out.uint64(write.rows);
  out.varint(write.batch_ids.size());
  for (const std::string& id : write.batch_ids) out.string(id);
  out.varint(write.parts.size());
  for (const WritePart& p : write.parts) {
    out.string(p.table);
    out.string(p.target);
    out.uint32(p.hour);
    out.string(p.body);
  }
  for (char c : kEnd) out.uint8(static_cast<uint8_t>(c));
  return out.take();
}

std::optional<PreparedWrite> parse_write(std::string_view bytes) {
  RowBinaryReader in(bytes);
  PreparedWrite w;
  in.expect(kMagic);
  w.write_id = in.fixed(8);
  w.records = in.fixed(8);
  w.rows = in.fixed(8);
  uint64_t ids = in.varint();
  for (uint64_t i = 0; in.ok() && i < ids; ++i) w.batch_ids.push_back(in.string());
  uint64_t parts = in.varint();
  for (uint64_t i = 0; in.ok() && i < parts; ++i) {
    WritePart p;
    p.table = in.string();
    p.target = in.string();
    p.hour = static_cast<uint32_t>(in.fixed(4));
    p.body = in.string();
    w.parts.push_back(std::move(p));
  }
  in.expect(kEnd);
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return w;
}

size_t send_write(Client& client, const PreparedWrite& write, bool resume, ShardWrites* shards,
                  bool from_spool) {
  if (resume && !write.batch_ids.empty()) {
    switch (keys_stored(client, write)) {
      case KeysStored::ByThisWrite:  // its keys go last: all of it is stored
        return 0;
      case KeysStored::ByOthers:
        withdraw(client, write, shards);
        return 0;
      case KeysStored::NotAll:
        break;
    }
  }
  std::vector<const WritePart*> parts;
  std::deque<WritePart> fresh_logs;  // log parts without the entries stored by now
  for (const WritePart& part : write.parts) {
    if (resume && part.hour != kAnyHour && holds(client, part, write.write_id)) continue;
    if ((resume || from_spool) && part.table == kLogsTable) {
      // Asked now, not when the entries were taken (ClickHouse may have
      // been down then, and the spool may hold them twice).
      std::string fresh = without_stored_logs(client, part.body);
      if (fresh.empty()) continue;
      fresh_logs.push_back({part.table, part.target, part.hour, std::move(fresh)});
      parts.push_back(&fresh_logs.back());
      continue;
    }
    parts.push_back(&part);
  }
  if (shards) {
    shards->insert(client.url(), parts);
  } else {
    for (const WritePart* part : parts) client.insert_row_binary(part->target, part->body);
  }
  return parts.size();
}

}  // namespace loupe::store::clickhouse
