// The tables of ClickHouseStore (migration 3): resolved records, the
// per-minute rollup cells, services and losses. Kept apart from schema.cpp,
// which lists the migrations, so each table's DDL sits next to its neighbours.
//
// The rollups are plain MergeTree tables of per-write partial cells, each
// with the embedded store's serialized DDSketch (store/sketch.h), merged
// when read. 18.16 has no aggregate function over a DDSketch, and folding
// cells in Loupe gives the same quantiles as the embedded store, byte for
// byte; the cost is one row per key per minute per write (docs/storage-clickhouse.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {

std::vector<std::string> store_tables_ddl(const Features& features);

// Migration 4: the three rollup tables partitioned by UTC hour
// (YYYYMMDDHH), so compaction (compaction.h) replaces one finished hour at a
// time, and loupe_compactions.
inline constexpr std::string_view kHourPartition = "toYYYYMMDD(minute) * 100 + toHour(minute)";
std::vector<std::string> rollups_by_hour_ddl(const Features& features);

// The rollup tables' layout: per-write minute cells (migrations 3-9), and
// since migration 10 also the hour cells compaction writes beside the
// minutes it folds (hour_cells_ddl). kHourSpan rows let a long window read
// one cell per key and hour instead of 60; the key leads with `span` so
// those rows are read without the minute cells, and a finer granule than
// ClickHouse's 8192 rows lets one route's minutes be read without the
// other routes' of the same hour (a compacted hour is ~60 rows per key).
enum class RollupLayout { Minutes, MinutesAndHours };
inline constexpr std::string_view kRollupSettings = "index_granularity = 256";
// What a rollup row spans (its `span` column).
inline constexpr uint8_t kMinuteSpan = 0;  // a write's minute cell, or compaction's fold of them
inline constexpr uint8_t kHourSpan = 1;    // a key's hour folded by compaction; minute = its start
// One per compacted hour (and shard): `requests` holds how many minute
// cells the fold left, so a reader sees whether rows came after it.
inline constexpr uint8_t kFoldMarker = 2;
// A rollup table's ORDER BY, e.g. "(minute, a, b)".
std::string rollup_order_by(std::string_view table,
                            RollupLayout layout = RollupLayout::MinutesAndHours);
// "PARTITION BY ... ORDER BY ... SETTINGS ..." of a rollup table now: what
// migration 10 and compaction's scratch tables (which must match it) use.
std::string rollup_engine_tail(std::string_view table);
// Migration 10: `span` and `active` on the three rollup tables, each then
// rebuilt in the MinutesAndHours layout (its rows kept, as minute cells),
// and loupe_compactions emptied so that every finished hour is folded
// again, now with its hour cells.
std::vector<std::string> hour_cells_ddl(const Features& features);
// The tables store_tables_ddl creates.
std::vector<std::string_view> store_tables();

}  // namespace loupe::store::clickhouse
