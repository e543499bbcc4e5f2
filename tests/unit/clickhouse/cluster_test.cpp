// Cluster mode's DDL (cluster.h): each single-server migration statement as
// the statements run on the cluster's hosts.
#include "store/clickhouse/cluster.h"

#include <gtest/gtest.h>

#include "store/clickhouse/error.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/shard_writes.h"

namespace loupe::store::clickhouse::testing {
namespace {

const Cluster kPlain{"two", {{1, 1, "ch1"}, {2, 1, "ch2"}}, false};
const Cluster kReplicated{"two", {{1, 1, "ch1"}, {1, 2, "ch1b"}}, true};

TEST(ClickHouseCluster, CreateMakesALocalAndADistributedTable) {
  auto out = cluster_statements(kPlain, "db",
                                "CREATE TABLE IF NOT EXISTS loupe_records (\n  id UInt64\n) "
                                "ENGINE = MergeTree\nORDER BY id");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].hosts, Hosts::Each);
  EXPECT_EQ(out[0].sql,
            "CREATE TABLE IF NOT EXISTS loupe_records_local (\n  id UInt64\n) ENGINE = "
            "MergeTree\nORDER BY id");
  EXPECT_EQ(out[1].sql,
            "CREATE TABLE IF NOT EXISTS loupe_records AS loupe_records_local ENGINE = "
            "Distributed(two, db, loupe_records_local, rand())");
  // Rows inserted through it: a rollup key's cells on one shard.
  auto minute = cluster_statements(
      kPlain, "db", "CREATE TABLE IF NOT EXISTS loupe_record_minute (x UInt8) ENGINE = MergeTree");
  EXPECT_NE(minute[1].sql.find("cityHash64(service)"), std::string::npos);
  // A metric series' repeats too, so ReplacingMergeTree drops them.
  auto samples = cluster_statements(
      kPlain, "db", "CREATE TABLE IF NOT EXISTS loupe_metric_samples (x UInt8) ENGINE = MergeTree");
  EXPECT_NE(samples[1].sql.find("cityHash64(metric, entity, name, label)"), std::string::npos);
}

// A write's parts go to one shard's local tables (shard_writes.h).
TEST(ClickHouseCluster, AWritePartGoesToTheLocalTable) {
  WritePart part{"loupe_records", "loupe_records (id, start_ns)", 1, ""};
  EXPECT_EQ(local_target(part), "loupe_records_local (id, start_ns)");
  part.target = "loupe_logs (id)";
  EXPECT_THROW(local_target(part), Error);
}

TEST(ClickHouseCluster, AMaterializedColumnIsAnAliasOfTheDistributedTable) {
  auto out = cluster_statements(
      kPlain, "db",
      "CREATE TABLE IF NOT EXISTS r (\n  start_ns UInt64 CODEC(Delta, ZSTD(1)),\n  time "
      "DateTime('UTC') MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),\n  trace String,\n"
      "  INDEX trace_index trace TYPE bloom_filter GRANULARITY 4\n) ENGINE = MergeTree\nORDER BY "
      "start_ns");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].sql,
            "CREATE TABLE IF NOT EXISTS r (\n  start_ns UInt64,\n  time DateTime('UTC') ALIAS "
            "toDateTime(intDiv(start_ns, 1000000000)),\n  trace String\n) ENGINE = "
            "Distributed(two, db, r_local, rand())");
}

TEST(ClickHouseCluster, WithZooKeeperTheEnginesAreReplicated) {
  auto out = cluster_statements(kReplicated, "db",
                                "CREATE TABLE IF NOT EXISTS loupe_services (x UInt8) ENGINE = "
                                "ReplacingMergeTree\nORDER BY x");
  EXPECT_EQ(out[0].sql,
            "CREATE TABLE IF NOT EXISTS loupe_services_local (x UInt8) ENGINE = "
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/loupe_services_local', "
            "'{replica}')\nORDER BY x");
  auto versioned = cluster_statements(
      kReplicated, "db", "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = ReplacingMergeTree(x)");
  EXPECT_NE(versioned[0].sql.find("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/"
                                  "t_local', '{replica}', x)"),
            std::string::npos);
}

TEST(ClickHouseCluster, HostTablesStayLocal) {
  auto out = cluster_statements(
      kPlain, "db", "CREATE TABLE IF NOT EXISTS loupe_compactions (x UInt8) ENGINE = MergeTree");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sql,
            "CREATE TABLE IF NOT EXISTS loupe_compactions (x UInt8) ENGINE = MergeTree");
}

TEST(ClickHouseCluster, CopiesRenamesDropsAndViews) {
  auto copy = cluster_statements(kPlain, "db", "INSERT INTO a_by_hour SELECT * FROM a");
  ASSERT_EQ(copy.size(), 1u);
  EXPECT_EQ(copy[0].hosts, Hosts::OnePerShard);  // each shard copies its rows once
  EXPECT_EQ(copy[0].sql, "INSERT INTO a_by_hour_local SELECT * FROM a_local");
  auto drop = cluster_statements(kPlain, "db", "DROP TABLE IF EXISTS a");
  ASSERT_EQ(drop.size(), 2u);
  EXPECT_EQ(drop[1].sql, "DROP TABLE IF EXISTS a_local");
  auto rename = cluster_statements(kPlain, "db", "RENAME TABLE a_by_hour TO a");
  ASSERT_EQ(rename.size(), 3u);
  EXPECT_EQ(rename[0].sql, "DROP TABLE IF EXISTS a_by_hour");
  EXPECT_EQ(rename[1].sql, "RENAME TABLE a_by_hour_local TO a_local");
  EXPECT_EQ(
      rename[2].sql,
      "CREATE TABLE IF NOT EXISTS a AS a_local ENGINE = Distributed(two, db, a_local, rand())");
  auto view = cluster_statements(kPlain, "db",
                                 "CREATE MATERIALIZED VIEW IF NOT EXISTS v TO m AS\nSELECT x\nFROM "
                                 "r\nGROUP BY x");
  EXPECT_EQ(view[0].sql,
            "CREATE MATERIALIZED VIEW IF NOT EXISTS v_local TO m_local AS\nSELECT x\nFROM "
            "r_local\nGROUP BY x");
}

TEST(ClickHouseCluster, EveryMigrationCanBeApplied) {
  for (const Migration& m : migrations())
    for (const std::string& s : m.statements(Features{}))
      EXPECT_NO_THROW(cluster_statements(kReplicated, "db", s)) << s;
}

TEST(ClickHouseCluster, ColumnsChangeOnTheLocalAndTheDistributedTable) {
  auto out = cluster_statements(kPlain, "db", "ALTER TABLE a ADD COLUMN b UInt8");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].sql, "ALTER TABLE a_local ADD COLUMN b UInt8");
  EXPECT_EQ(out[0].hosts, Hosts::Each);
  EXPECT_EQ(out[1].sql, "ALTER TABLE a ADD COLUMN b UInt8");
  EXPECT_EQ(cluster_statements(kReplicated, "db", "ALTER TABLE a ADD COLUMN b UInt8")[0].hosts,
            Hosts::OnePerShard);
}

TEST(ClickHouseCluster, AnUnknownStatementIsRefused) {
  EXPECT_THROW(cluster_statements(kPlain, "db", "ALTER TABLE a DELETE WHERE 1"), Error);
  EXPECT_THROW(cluster_statements(kPlain, "db", "OPTIMIZE TABLE a"), Error);
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
