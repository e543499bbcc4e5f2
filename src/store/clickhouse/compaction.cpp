#include "store/clickhouse/compaction.h"

#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/clickhouse/cluster.h"
#include "store/clickhouse/error.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/store_schema.h"
#include "store/clickhouse/tables.h"
#include "store/rollup.h"

namespace loupe::store::clickhouse {
namespace {

// A rollup table's key columns (everything but the cell), as read and written.
enum class Type { U32, U8, Text };
struct Column {
  std::string_view name;
  Type type;
};
struct Shape {
  std::string_view table;
  std::vector<Column> keys;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Column> pair = {{"minute", Type::U32},  {"a", Type::Text},
                                           {"a_kind", Type::Text}, {"b", Type::Text},
                                           {"b_kind", Type::Text}, {"protocol", Type::U8}};
  static const std::vector<Shape> all = {{kRecordMinuteTable,
                                          {{"minute", Type::U32},
                                           {"service", Type::Text},
                                           {"route", Type::Text},
                                           {"method", Type::Text},
                                           {"protocol", Type::U8},
                                           {"counted", Type::U8}}},
                                         {kEdgeMinuteTable, pair},
                                         {kPodMinuteTable, pair}};
  return all;
}

constexpr std::string_view kCells = "requests, errors, sum_ns, sketch";

// YYYYMMDDHH of the UTC hour holding unix second `s`: the hour's partition id.
std::string hour_id(uint64_t s) {
  std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d%H", &tm);
  return buf;
}

// The unix second an hour's partition id starts at.
uint64_t hour_start(const std::string& id) {
  std::tm tm{};
  tm.tm_year = std::stoi(id.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(id.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(id.substr(6, 2));
  tm.tm_hour = std::stoi(id.substr(8, 2));
  return static_cast<uint64_t>(timegm(&tm));
}

struct Partition {
  std::string parts;  // the active parts' names: changes with any insert or merge
  uint64_t rows = 0;
};

// The finished hours of `table` (id < first_open) and their parts.
std::map<std::string, Partition> finished_hours(Client& c, const std::string& table,
                                                const std::string& first_open,
                                                const std::string& only = "") {
  std::map<std::string, Partition> out;
  for (auto& row : c.select(
           "SELECT partition_id, arrayStringConcat(arraySort(groupArray(name)), ','), sum(rows) "
           "FROM system.parts WHERE active AND database = " +
               quote_literal(c.url().database) + " AND table = " + quote_literal(table) +
               " AND length(partition_id) = 10 AND partition_id < " + quote_literal(first_open) +
               (only.empty() ? "" : " AND partition_id = " + quote_literal(only)) +
               " GROUP BY partition_id",
           3))
    out[row[0]] = {row[1], parse_uint(row[2])};
  return out;
}

// Rows each hour had after its last compaction.
std::map<std::string, uint64_t> compacted(Client& c, const std::string& table) {
  std::map<std::string, uint64_t> out;
  for (auto& row :
       c.select("SELECT partition_id, argMax(rows, at) FROM " + std::string(kCompactionsTable) +
                    " WHERE table = " + quote_literal(table) + " GROUP BY partition_id",
                2))
    out[row[0]] = parse_uint(row[1]);
  return out;
}

// The hour's minute cells folded per key and minute, each key's hour cell
// (kHourSpan) and the hour's fold marker (kFoldMarker), as a RowBinary body;
// counts the rows read (all of them, hour cells and marker of an earlier
// fold included, which are made again here) and the rows of the body, and
// collects the write ids of the rows read (0, no write: rows folded before
// or written before schema version 9).
std::string fold_hour(Client& c, const Shape& shape, const std::string& table, uint64_t start_s,
                      uint64_t* rows_read, uint64_t* rows_written, std::set<uint64_t>* write_ids) {
  std::string select;
  for (const Column& k : shape.keys)
    select +=
        (k.type == Type::U32 ? "toUInt32(" + std::string(k.name) + ")" : std::string(k.name)) +
        ", ";
  const size_t n = shape.keys.size();
  // Keys as read; the hour cells' with the minute (key[0]) the hour's start.
  std::map<std::vector<std::string>, RollupCell> cells, hours;
  std::map<std::vector<std::string>, uint64_t> active;
  const std::string hour_s = std::to_string(start_s);
  for (auto& row : c.select("SELECT " + select + std::string(kCells) + ", write_id, span FROM " +
                                table + " WHERE minute >= toDateTime(" + std::to_string(start_s) +
                                ") AND minute < toDateTime(" + std::to_string(start_s + 3600) + ")",
                            n + 6)) {
    ++*rows_read;
    if (uint64_t id = parse_uint(row[n + 4])) write_ids->insert(id);
    if (parse_uint(row[n + 5]) != kMinuteSpan) continue;
    std::vector<std::string> key(row.begin(), row.begin() + n);
    RollupCell& cell = cells[key];
    uint64_t count = parse_uint(row[n]), errors = parse_uint(row[n + 1]),
             sum_ns = parse_uint(row[n + 2]);
    cell.count += count;
    cell.errors += errors;
    cell.sum_ns += sum_ns;
    if (!cell.sketch.merge_serialized(row[n + 3]))
      throw Error(Error::Kind::BadAnswer,
                  "ClickHouse table " + table + " has a latency sketch Loupe cannot read");
    const uint64_t minute_index = (parse_uint(key[0]) - start_s) / 60;
    key[0] = hour_s;
    RollupCell& hour = hours[key];
    hour.count += count;
    hour.errors += errors;
    hour.sum_ns += sum_ns;
    hour.sketch.merge_serialized(row[n + 3]);
    if (count && minute_index < 60) active[key] |= uint64_t{1} << minute_index;
  }
  RowBinaryWriter out;
  auto write = [&](const std::vector<std::string>& key, const RollupCell& cell, uint8_t span,
                   uint64_t minutes) {
    for (size_t i = 0; i < n; ++i) {
      if (shape.keys[i].type == Type::Text)
        out.string(key[i]);
      else if (shape.keys[i].type == Type::U32)
        out.uint32(static_cast<uint32_t>(parse_uint(key[i])));
      else
        out.uint8(static_cast<uint8_t>(parse_uint(key[i])));
    }
    out.uint64(cell.count);
    out.uint64(cell.errors);
    out.uint64(cell.sum_ns);
    out.string(cell.sketch.serialize());
    out.uint8(span);
    out.uint64(minutes);
  };
  for (const auto& [key, cell] : cells) write(key, cell, kMinuteSpan, 0);
  for (const auto& [key, cell] : hours) write(key, cell, kHourSpan, active[key]);
  // The marker: the hour's start, empty names and zeros, and in `requests`
  // the minute cells it leaves (rollup_window.h compares them).
  std::vector<std::string> marker_key(n, "0");
  marker_key[0] = hour_s;
  for (size_t i = 0; i < n; ++i)
    if (shape.keys[i].type == Type::Text) marker_key[i].clear();
  RollupCell marker;
  marker.count = cells.size();
  write(marker_key, marker, kFoldMarker, 0);
  *rows_written = cells.size() + hours.size() + 1;
  return out.take();
}

// Into the plain table name (the Distributed one in cluster mode), as the
// writer asks for it.
void note_folded_writes(Client& c, std::string_view table, uint64_t hour_start_s,
                        const std::set<uint64_t>& write_ids) {
  if (write_ids.empty()) return;
  RowBinaryWriter out;
  for (uint64_t id : write_ids) {
    out.string(table);
    out.uint32(static_cast<uint32_t>(hour_start_s));
    out.uint64(id);
  }
  c.insert_row_binary(std::string(kFoldedWritesTable) + " (table, hour, write_id)", out.take());
}

std::string column_names(const Shape& shape) {
  std::string names;
  for (const Column& k : shape.keys) names += std::string(k.name) + ", ";
  return names + std::string(kCells) + ", span, active";
}

}  // namespace

CompactionResult compact_rollups(Client& c, uint64_t before_ns, bool local_tables,
                                 size_t max_hours) {
  CompactionResult result;
  const std::string first_open = hour_id(before_ns / 1'000'000'000ULL);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (const Shape& shape : shapes()) {
    const std::string table = local_tables ? local_table(shape.table) : std::string(shape.table);
    auto done = compacted(c, table);
    for (const auto& [id, partition] : finished_hours(c, table, first_open)) {
      auto it = done.find(id);
      if (it != done.end() && it->second == partition.rows) continue;  // nothing new
      if (result.hours == max_hours) return result;
      uint64_t rows_read = 0, rows_after = 0;
      std::set<uint64_t> write_ids;
      std::string body =
          fold_hour(c, shape, table, hour_start(id), &rows_read, &rows_after, &write_ids);
      // A plain MergeTree of the same columns and keys (also beside a
      // Replicated table: REPLACE PARTITION copies parts, not the engine).
      const std::string scratch = table + "_fold_" + std::to_string(rng() % 1'000'000'000);
      c.execute("CREATE TABLE " + scratch + " AS " + table + " ENGINE = MergeTree " +
                rollup_engine_tail(shape.table));
      try {
        c.insert_row_binary(scratch + " (" + column_names(shape) + ")", body);
        auto now = finished_hours(c, table, first_open, id);
        bool unchanged =
            now.count(id) && now[id].parts == partition.parts && rows_read == partition.rows;
        if (unchanged) {
          // Before the swap, which takes the write ids off the rows: a
          // resumed write that finds neither its rows nor its id here would
          // send its cells again (prepared_write.h).
          note_folded_writes(c, shape.table, hour_start(id), write_ids);
          c.execute("ALTER TABLE " + table + " REPLACE PARTITION ID " + quote_literal(id) +
                    " FROM " + scratch);
        }
        c.execute("DROP TABLE IF EXISTS " + scratch);
        if (!unchanged) continue;  // written to meanwhile: the next round folds it
      } catch (const Error&) {
        try {
          c.execute("DROP TABLE IF EXISTS " + scratch);
        } catch (const Error&) {
          // The first error is the one to report; a scratch table is harmless.
        }
        throw;
      }
      // The rows folded, not the partition's rows now: a write landing
      // after the swap makes them differ, and the next round folds it in.
      c.execute("INSERT INTO " + std::string(kCompactionsTable) +
                " (table, partition_id, rows_before, rows) VALUES (" + quote_literal(table) + ", " +
                quote_literal(id) + ", " + std::to_string(partition.rows) + ", " +
                std::to_string(rows_after) + ")");
      ++result.hours;
      result.rows_before += partition.rows;
      result.rows_after += rows_after;
    }
  }
  return result;
}

}  // namespace loupe::store::clickhouse
