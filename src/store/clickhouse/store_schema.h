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
// A rollup table's ORDER BY, e.g. "(minute, a, b)".
std::string rollup_order_by(std::string_view table);
// The tables store_tables_ddl creates.
std::vector<std::string_view> store_tables();

}  // namespace loupe::store::clickhouse
