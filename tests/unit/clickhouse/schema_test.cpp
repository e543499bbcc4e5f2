#include "store/clickhouse/schema.h"

#include <gtest/gtest.h>

#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse::testing {
namespace {

std::string all_ddl(const Features& f) {
  std::string text;
  for (const Migration& m : migrations())
    for (const std::string& s : m.statements(f)) text += s + ";\n";
  return text;
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(ClickHouseSchema, MigrationsAreNumberedOneByOne) {
  int expected = 1;
  for (const Migration& m : migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.description.empty());
    EXPECT_FALSE(m.statements(Features{}).empty());
  }
  EXPECT_EQ(schema_version(), expected - 1);
  EXPECT_EQ(tables_at(0).size(), 0u);
  EXPECT_EQ(tables_at(schema_version()).size(), 19u);
}

TEST(ClickHouseSchema, OnDebians18_16NoNewerSyntax) {
  std::string ddl = all_ddl(features_of(Version{18, 16, 1}));
  EXPECT_FALSE(has(ddl, "LowCardinality"));
  EXPECT_FALSE(has(ddl, "CODEC"));
  EXPECT_FALSE(has(ddl, "INDEX"));
  EXPECT_FALSE(has(ddl, " TTL "));
  EXPECT_TRUE(has(ddl, "PARTITION BY toDate(time)"));
  EXPECT_TRUE(has(ddl, "ORDER BY (service, route, time)"));
  EXPECT_TRUE(has(ddl, "AggregatingMergeTree"));
  EXPECT_TRUE(has(ddl, "quantileTDigestState(duration_ns)"));
}

TEST(ClickHouseSchema, NewerServersGetTheirFeatures) {
  std::string ddl = all_ddl(features_of(Version{24, 3, 1}));
  EXPECT_TRUE(has(ddl, "service LowCardinality(String)"));
  EXPECT_TRUE(has(ddl, "start_ns UInt64 CODEC(Delta, ZSTD(1))"));
  EXPECT_TRUE(has(ddl, "INDEX trace_id_index trace_id TYPE bloom_filter GRANULARITY 4"));
  // Identifying columns keep one type in the raw and the aggregated table.
  std::string minute = migrations()[1].statements(features_of(Version{24, 3, 1}))[0];
  EXPECT_TRUE(has(minute, "route LowCardinality(String)"));
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
