// The ClickHouse layer against a real clickhouse-server, started by
// tests/e2e/test_clickhouse_store.sh, which passes its HTTP port and the
// password file of user `loupe` in LOUPE_CH_PORT / LOUPE_CH_PASSWORD_FILE, and
// its native protocol's port in LOUPE_CH_TCP_PORT.
// Each test uses a database of its own.
#include "store/clickhouse/clickhouse_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/client.h"
#include "store/clickhouse/compaction.h"
#include "store/clickhouse/error.h"
#include "store/clickhouse/features.h"
#include "store/clickhouse/insert.h"
#include "store/clickhouse/log_rows.h"
#include "store/clickhouse/prepared_write.h"
#include "store/clickhouse/record_rows.h"
#include "store/clickhouse/request_rows.h"
#include "store/clickhouse/retention.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/shard_writes.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse::testing {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ULL;
constexpr uint64_t kDay = 86'400 * kSecond;
// 2025-11-30 00:00:00 UTC: a fixed day, so partitions are known.
constexpr uint64_t kDay0 = 20'422 * kDay;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << name << " is not set: run tests/e2e/test_clickhouse_store.sh";
    return "";
  }
  return v;
}

Url url_for(const std::string& database, const std::string& password_file = "") {
  return parse_url("clickhouse://127.0.0.1:" + env("LOUPE_CH_PORT") + "/" + database +
                   "?user=loupe&password_file=" +
                   (password_file.empty() ? env("LOUPE_CH_PASSWORD_FILE") : password_file));
}

// A client on a fresh, migrated database.
std::unique_ptr<Client> migrated(const std::string& database) {
  auto client = std::make_unique<Client>(url_for(database));
  client->execute_in_default("DROP DATABASE IF EXISTS " + database);
  migrate(*client, features_of(client->server_version()));
  return client;
}

uint64_t count(Client& client, const std::string& sql) {
  auto rows = client.select(sql, 1);
  return rows.size() == 1 ? std::stoull(rows[0][0]) : ~0ULL;
}

Record request(uint64_t start_ns, uint64_t duration_ns, std::string route = "/checkout") {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + duration_ns;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.method = "POST";
  r.path = route;
  r.route = std::move(route);
  edit(r.local_identity).service = "shop";
  r.status = 200;
  return r;
}

// The error `fn` throws (fails the test when it throws none).
Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(Error::Kind::Server, "");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ClickHouseServer, VersionAndFeaturesMatchWhatTheServerAccepts) {
  Client client(url_for("default"));
  Version v = client.server_version();
  EXPECT_GE(v, kMinimumVersion);
  Features f = features_of(v);
  // The feature set is what the server really takes: a LowCardinality column
  // fails where the set says it is missing, and works where it says present.
  client.execute("DROP TABLE IF EXISTS default.loupe_probe");
  bool accepted = true;
  try {
    client.execute("CREATE TABLE default.loupe_probe (s LowCardinality(String)) ENGINE = Memory");
  } catch (const Error& e) {
    accepted = false;
    EXPECT_EQ(e.kind(), Error::Kind::Server);
  }
  EXPECT_EQ(accepted, f.low_cardinality) << "server " << v.to_string();
  client.execute("DROP TABLE IF EXISTS default.loupe_probe");
  std::cout << "ClickHouse " << v.to_string() << ", features: " << to_string(f) << "\n";
}

TEST(ClickHouseServer, MigrateFromNothingAndFromAnOlderSchema) {
  Client client(url_for("loupe_migrate"));
  client.execute_in_default("DROP DATABASE IF EXISTS loupe_migrate");
  Features f = features_of(client.server_version());

  Error missing = error_of([&] { check(client); });
  EXPECT_EQ(missing.kind(), Error::Kind::Schema);
  EXPECT_TRUE(contains(missing.what(), "'loupe_migrate'")) << missing.what();
  EXPECT_TRUE(contains(missing.what(), "does not exist")) << missing.what();
  EXPECT_TRUE(contains(missing.what(), "--migrate once")) << missing.what();

  // A database as an older Loupe (schema version 1) left it.
  MigrateResult old = migrate(client, f, 1);
  EXPECT_TRUE(old.created_database);
  EXPECT_EQ(old.from_version, 0);
  EXPECT_EQ(old.to_version, 1);
  Error older = error_of([&] { check(client); });
  EXPECT_EQ(older.kind(), Error::Kind::Schema);
  EXPECT_TRUE(contains(older.what(), "schema version 1, made by an older Loupe")) << older.what();
  EXPECT_TRUE(contains(older.what(), "needs version " + std::to_string(schema_version())))
      << older.what();

  // Rows stored before the per-minute table existed are backfilled into it.
  std::vector<Record> before = {request(kDay0, 5 * kSecond), request(kDay0 + 1, 7 * kSecond)};
  insert_requests(client, "old-1", before);
  // Then as a Loupe with records only (schema version 4: rollups by hour)
  // left it, and up to the signals' tables (5: metrics, 6: logs, 7: events,
  // 8: profiles) from there.
  MigrateResult records_only = migrate(client, f, 4);
  EXPECT_EQ(records_only.from_version, 1);
  EXPECT_EQ(records_only.to_version, 4);
  EXPECT_TRUE(
      contains(error_of([&] { check(client); }).what(), "schema version 4, made by an older"));
  MigrateResult signals = migrate(client, f, 8);
  EXPECT_FALSE(signals.created_database);
  EXPECT_EQ(signals.from_version, 4);
  EXPECT_EQ(signals.to_version, 8);
  EXPECT_TRUE(
      contains(error_of([&] { check(client); }).what(), "schema version 8, made by an older"));
  for (std::string_view table : {"loupe_metric_samples", "loupe_logs", "loupe_log_sources",
                                 "loupe_log_patterns", "loupe_events", "loupe_profile_samples"})
    EXPECT_EQ(count(client, "SELECT count() FROM " + std::string(table)), 0u) << table;
  // A batch key a version-8 server stored, before batch keys had write ids.
  client.execute("INSERT INTO loupe_batches (batch_id, state, rows) VALUES ('agent old 1', 2, 3)");
  // A rollup cell of that time, which migration 10 carries into the
  // rebuilt table as a minute cell.
  client.execute(
      "INSERT INTO loupe_record_minute (minute, service, route, method, protocol, counted, "
      "requests, errors, sum_ns, sketch) VALUES (toDateTime(" +
      std::to_string(kDay0 / kSecond) + "), 'shop', '/checkout', 'POST', 1, 1, 3, 1, 9, '')");
  // 9: write ids on the rollups and batch keys, loupe_folded_writes;
  // 10: hour cells (span, active), the rollups rebuilt with their key;
  // 11: write ids on loss rows.
  MigrateResult up = migrate(client, f);
  EXPECT_EQ(up.from_version, 8);
  EXPECT_EQ(up.to_version, schema_version());
  EXPECT_EQ(schema_version(), 11);
  EXPECT_EQ(count(client, "SELECT count() FROM loupe_record_minute"), 1u);
  EXPECT_EQ(count(client,
                  "SELECT sum(requests) FROM loupe_record_minute WHERE span = 0 AND write_id = 0"),
            3u);
  EXPECT_NO_THROW(check(client));
  EXPECT_EQ(count(client, "SELECT countMerge(requests) FROM loupe_requests_minute"), 2u);
  // Rows from before keep write id 0, which no write has.
  EXPECT_EQ(count(client,
                  "SELECT count() FROM loupe_batches WHERE batch_id = 'agent old 1' AND "
                  "state = 2 AND write_id = 0"),
            1u);
  for (std::string_view table :
       {"loupe_record_minute", "loupe_edge_minute", "loupe_pod_minute", "loupe_losses"})
    EXPECT_EQ(count(client,
                    "SELECT count() FROM system.columns WHERE database = "
                    "'loupe_migrate' AND name = 'write_id' AND table = '" +
                        std::string(table) + "'"),
              1u)
        << table;
  EXPECT_EQ(count(client, "SELECT count() FROM loupe_folded_writes"), 0u);

  MigrateResult again = migrate(client, f);
  EXPECT_EQ(again.from_version, schema_version());
  EXPECT_EQ(again.to_version, schema_version());
  EXPECT_EQ(count(client, "SELECT count() FROM loupe_schema"),
            static_cast<uint64_t>(schema_version()));
}

TEST(ClickHouseServer, CheckNamesWhatIsWrongWithADatabase) {
  auto client = migrated("loupe_check");
  client->execute("DROP TABLE loupe_requests_minute_mv");
  Error lacks = error_of([&] { check(*client); });
  EXPECT_TRUE(contains(lacks.what(), "lacks loupe_requests_minute_mv")) << lacks.what();

  client->execute("INSERT INTO loupe_schema (version) VALUES (99)");
  Error newer = error_of([&] { check(*client); });
  EXPECT_TRUE(contains(newer.what(), "schema version 99, made by a newer Loupe")) << newer.what();
  Error no_downgrade = error_of([&] { migrate(*client, {}); });
  EXPECT_TRUE(contains(no_downgrade.what(), "upgrade Loupe")) << no_downgrade.what();

  Client foreign(url_for("loupe_foreign"));
  foreign.execute_in_default("DROP DATABASE IF EXISTS loupe_foreign");
  foreign.execute_in_default("CREATE DATABASE loupe_foreign");
  Error empty = error_of([&] { check(foreign); });
  EXPECT_TRUE(contains(empty.what(), "is empty")) << empty.what();
  foreign.execute("CREATE TABLE events (x UInt8) ENGINE = Memory");
  Error not_ours = error_of([&] { check(foreign); });
  EXPECT_TRUE(contains(not_ours.what(), "not made by Loupe")) << not_ours.what();
}

TEST(ClickHouseServer, ABatchSentTwiceIsStoredOnce) {
  auto client = migrated("loupe_dedup");
  std::vector<Record> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(request(kDay0 + i * kSecond / 10, kSecond / 100));
  // Every kind of byte a record can carry survives RowBinary and the gzip body.
  batch[0].detail = std::string("tab\there\nnewline 'quote' \\ back \xc3\xa9 \0 end", 38);
  batch[0].route = "/p\xe2\x82\xac";

  InsertResult first = insert_requests(*client, "agent-a:1", batch);
  EXPECT_EQ(first.rows_written, 500u);
  EXPECT_FALSE(first.duplicate);
  InsertResult second = insert_requests(*client, "agent-a:1", batch);
  EXPECT_TRUE(second.duplicate);
  EXPECT_EQ(second.rows_written, 0u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_requests"), 500u);
  EXPECT_EQ(count(*client, "SELECT countMerge(requests) FROM loupe_requests_minute"), 500u);

  // Another id is another batch.
  insert_requests(*client, "agent-b:1", std::span(batch).first(10));
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_requests"), 510u);

  auto rows = client->select(
      "SELECT detail, route FROM loupe_requests WHERE batch_id = 'agent-a:1' AND start_ns = " +
          std::to_string(kDay0),
      2);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], batch[0].detail);
  EXPECT_EQ(rows[0][1], batch[0].route);
}

TEST(ClickHouseServer, AHalfWrittenBatchIsCompletedNotDoubled) {
  auto client = migrated("loupe_resume");
  // A batch across midnight: two days, two inserts.
  std::vector<Record> batch;
  for (int i = 0; i < 30; ++i)
    batch.push_back(request(kDay0 + kDay - 15 * kSecond + i * kSecond, 1000));
  // An earlier attempt marked the batch started and stored the first day only.
  client->execute("INSERT INTO loupe_batches (batch_id, state, rows) VALUES ('agent-a:7', 1, 30)");
  RowBinaryWriter first_day;
  for (int i = 0; i < 15; ++i) encode_request(first_day, batch[i], "agent-a:7");
  client->insert_row_binary(request_insert_target(), first_day.bytes());

  InsertResult resumed = insert_requests(*client, "agent-a:7", batch);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.rows_written, 15u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_requests"), 30u);
  EXPECT_TRUE(insert_requests(*client, "agent-a:7", batch).duplicate);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_requests"), 30u);
}

constexpr uint64_t kHour = 3600 * kSecond;

// A ClickHouseStore write of two records either side of kDay0 + 1 h, as
// the store prepares it: per hour a records part and a per-minute rollup
// part, then the batch key.
PreparedWrite two_hour_write(uint64_t write_id, std::vector<Record>& records,
                             const std::string& agent) {
  records = {request(kDay0 + kHour - 10 * kSecond, 1000),
             request(kDay0 + kHour + 10 * kSecond, 1000)};
  ResolvedBatch batch{records, {}, {}};
  const ServiceIdentity& shop = batch.services.emplace_back(ServiceIdentity{.name = "shop"});
  const CallerIdentity& no_caller = batch.callers.emplace_back();
  for (uint32_t i = 0; i < records.size(); ++i) {
    ResolvedRecord row;
    row.index = i;
    row.service = &shop;
    row.caller = &no_caller;
    row.route = records[i].route;
    batch.rows.push_back(row);
  }
  std::vector<BatchKey> keys{{agent, 1}};
  return prepare_write(batch, &keys, write_id);
}

TEST(ClickHouseServer, AStoreWriteIsOneInsertPerTableAndHour) {
  std::vector<Record> records;
  PreparedWrite w = two_hour_write(7, records, "agent hours");
  std::vector<std::pair<std::string, uint32_t>> parts;
  for (const WritePart& p : w.parts) parts.emplace_back(p.table, p.hour);
  const uint32_t h = static_cast<uint32_t>(kDay0 / kHour);
  EXPECT_EQ(parts, (std::vector<std::pair<std::string, uint32_t>>{{"loupe_records", h},
                                                                  {"loupe_record_minute", h},
                                                                  {"loupe_records", h + 1},
                                                                  {"loupe_record_minute", h + 1},
                                                                  {"loupe_batches", kAnyHour}}));
}

TEST(ClickHouseServer, AStoreWriteStoppedPartWayIsResumedNotDoubled) {
  auto client = migrated("loupe_write_resume");
  std::vector<Record> records;
  PreparedWrite w = two_hour_write(12345, records, "agent resume");
  // The first hour's inserts went through, then ClickHouse went away.
  client->insert_row_binary(w.parts[0].target, w.parts[0].body);
  client->insert_row_binary(w.parts[1].target, w.parts[1].body);
  EXPECT_EQ(send_write(*client, w, true), 3u);  // the second hour's two and the batch key
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records"), 2u);
  EXPECT_EQ(count(*client, "SELECT sum(requests) FROM loupe_record_minute"), 2u);
  // Sent again (its removal from the spool was lost in a crash): nothing.
  EXPECT_EQ(send_write(*client, w, true), 0u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records"), 2u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_batches"), 1u);
}

// Log entries and profile samples are written as records are: one part
// per UTC hour carrying the write id (the entries' id prefix, the samples'
// write_id column), so a write resumed after a failure sends only the hours
// ClickHouse does not hold.
TEST(ClickHouseServer, ALogOrProfileWriteStoppedPartWayIsResumedNotDoubled) {
  auto client = migrated("loupe_signal_resume");
  const uint64_t write_id = 4321;
  const auto hour = static_cast<uint32_t>(kDay0 / kHour);
  std::map<uint32_t, std::string> profile_hours, log_hours;
  for (uint32_t h : {hour, hour + 1}) {
    RowBinaryWriter sample;
    sample.uint32(static_cast<uint32_t>(uint64_t{h} * 3600 + 60));  // minute
    sample.string("node-a");
    sample.uint32(42);  // pid
    for (const char* s : {"api", "", "", "", ""}) sample.string(s);
    sample.string("main;serve");
    sample.uint64(10);  // samples
    sample.uint64(write_id);
    profile_hours[h] = sample.take();
    RowBinaryWriter entry;
    entry.uint64(write_id << kIndexBits | (h - hour));  // id
    entry.uint64(uint64_t{h} * kHour + 5 * kSecond);    // time_ns
    for (const char* s : {"node-a", "src", "/var/log/a.log", "", "", "", "", ""}) entry.string(s);
    entry.uint64(100 * (h - hour));  // pos
    entry.uint8(3);
    entry.uint8(0);
    entry.boolean(false);
    entry.uint32(0);
    entry.string("served");
    log_hours[h] = entry.take();
  }
  PreparedWrite profiles = hourly_write(
      write_id, kProfileSamplesTable,
      "minute, node, pid, process, namespace, pod, container, workload, stack, samples, write_id",
      profile_hours, 2);
  PreparedWrite logs =
      hourly_write(write_id, kLogsTable,
                   "id, time_ns, node, source, file, namespace, pod, container, "
                   "workload, pod_uid, pos, level, stream, truncated, pattern, text",
                   log_hours, 2);
  for (const PreparedWrite* w : {&profiles, &logs}) {
    ASSERT_EQ(w->parts.size(), 2u);
    // The first hour went through, then ClickHouse went away.
    client->insert_row_binary(w->parts[0].target, w->parts[0].body);
    EXPECT_EQ(send_write(*client, *w, true), 1u) << w->parts[0].table;  // the second hour
    EXPECT_EQ(send_write(*client, *w, true), 0u) << w->parts[0].table;  // sent again: nothing
  }
  EXPECT_EQ(count(*client, "SELECT sum(samples) FROM loupe_profile_samples"), 20u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_logs"), 2u);
  EXPECT_EQ(count(*client, "SELECT uniqExact(pos) FROM loupe_logs"), 2u);
}

// Log entries taken while ClickHouse was down are spooled unchecked; an
// agent that sent them again meanwhile (its answer lost) spooled them
// twice, and may have sent some to another replica too. The replay asks
// loupe_logs as it sends: each entry is stored once.
TEST(ClickHouseServer, LogEntriesSpooledTwiceOrStoredElsewhereAreStoredOnce) {
  auto client = migrated("loupe_log_replay");
  const auto hour = static_cast<uint32_t>(kDay0 / kHour);
  auto log_write = [&](uint64_t write_id, std::vector<uint64_t> offsets) {
    RowBinaryWriter rows;
    uint64_t index = 0;
    for (uint64_t pos : offsets) {
      logs::Entry e;
      e.time_ns = uint64_t{hour} * kHour + pos * kSecond;
      e.node = "node-a";
      e.source = "src";
      e.offset = pos;
      e.text = "served " + std::to_string(pos);
      encode_log_row(rows, write_id << kIndexBits | index++, e);
    }
    return hourly_write(write_id, kLogsTable, kLogColumns, {{hour, rows.take()}}, offsets.size());
  };
  // Another replica stored offset 1 (the agent's resend went there).
  EXPECT_EQ(send_write(*client, log_write(7, {1}), false), 1u);
  // This replica's spool: offsets 1-3, then the agent's resend of 2-4.
  PreparedWrite first = log_write(8, {1, 2, 3}), resent = log_write(9, {2, 3, 4});
  EXPECT_EQ(send_write(*client, merge_writes({first, resent}), false, nullptr, true), 1u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_logs"), 4u);
  EXPECT_EQ(count(*client, "SELECT uniqExact(pos) FROM loupe_logs"), 4u);
  // Each resumed alone (the merged send's answer was lost): nothing more.
  EXPECT_EQ(send_write(*client, first, true), 0u);
  EXPECT_EQ(send_write(*client, resent, true), 0u);
  // Sent from the spool alone, not merged: the stored entries are left out.
  EXPECT_EQ(send_write(*client, log_write(10, {3, 4}), false, nullptr, true), 0u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_logs"), 4u);
}

// Loss counts go through the spool like every other write: written while
// ClickHouse refuses them (here loupe_losses detached), kept on disk by a
// server that is then stopped (killed, as far as ClickHouse can tell), and
// stored once by the next server on the same spool.
TEST(ClickHouseServer, LossCountsWaitInTheSpoolAcrossARestart) {
  const std::string database = "loupe_losses_spool";
  auto client = migrated(database);
  char dir_template[] = "/tmp/loupe-losses-spool-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const SpoolOptions spool{dir_template};
  const uint64_t minute = kDay0 / kSecond + 120;
  {
    ClickHouseStore store(url_for(database), StoreOptions{}, spool);
    client->execute("DETACH TABLE loupe_losses");
    EXPECT_NO_THROW(store.write_losses({{minute, 7, 3}, {minute + 3600, 1, 0}}));
    EXPECT_EQ(store.status().spool->writes, 1u);
  }
  client->execute("ATTACH TABLE loupe_losses");
  ClickHouseStore next(url_for(database), StoreOptions{}, spool);
  ASSERT_TRUE(next.drain_spool(std::chrono::seconds(10)));
  const auto losses = next.losses({kDay0, kDay0 + kDay});
  ASSERT_EQ(losses.size(), 2u);
  EXPECT_EQ(losses[0].minute_s, minute);
  EXPECT_EQ(losses[0].records, 7u);
  EXPECT_EQ(losses[0].events, 3u);
  EXPECT_EQ(losses[1].records, 1u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_losses"), 2u);
  std::filesystem::remove_all(dir_template);
}

TEST(ClickHouseServer, AMergedReplayLeavesEachWriteStoredOnce) {
  auto client = migrated("loupe_write_merged");
  std::vector<Record> a_records, b_records;
  PreparedWrite a = two_hour_write(1001, a_records, "agent merged a");
  PreparedWrite b = two_hour_write(1002, b_records, "agent merged b");
  EXPECT_EQ(send_write(*client, merge_writes({a, b}), false), 5u);  // 2 hours x 2 tables + keys
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records"), 4u);
  EXPECT_EQ(count(*client, "SELECT sum(requests) FROM loupe_record_minute"), 4u);
  // Each write, resumed on its own (the merged send's answer was lost): nothing.
  EXPECT_EQ(send_write(*client, a, true), 0u);
  EXPECT_EQ(send_write(*client, b, true), 0u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records"), 4u);
}

// The compactor folds an hour's rollup rows into rows without write ids;
// a write resumed afterwards must still find its cells of that hour.
TEST(ClickHouseServer, AStoreWriteResumedAfterItsHourWasCompactedIsNotDoubled) {
  auto client = migrated("loupe_write_compacted");
  std::vector<Record> records, others;
  PreparedWrite w = two_hour_write(4242, records, "agent compacted");
  // Another write's cells share the hour, so the fold merges two writes.
  PreparedWrite other = two_hour_write(777, others, "agent other");
  EXPECT_EQ(send_write(*client, other, false), 5u);
  // The first hour's parts went through, then the server died.
  client->insert_row_binary(w.parts[0].target, w.parts[0].body);
  client->insert_row_binary(w.parts[1].target, w.parts[1].body);
  const std::string first_hour = "minute >= toDateTime(" + std::to_string(kDay0 / kSecond) +
                                 ") AND minute < toDateTime(" +
                                 std::to_string((kDay0 + kHour) / kSecond) + ")";
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_record_minute WHERE " + first_hour), 2u);
  CompactionResult folded = compact_rollups(*client, kDay0 + 3 * kHour);
  EXPECT_EQ(folded.hours, 2u);
  // Folded: one minute cell, no write id left on it; the id is noted
  // instead (beside it the hour's cell and marker, span 1 and 2).
  EXPECT_EQ(
      count(*client, "SELECT count() FROM loupe_record_minute WHERE span = 0 AND " + first_hour),
      1u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_record_minute WHERE write_id = 4242"), 0u);
  EXPECT_EQ(count(*client,
                  "SELECT count() FROM loupe_folded_writes WHERE write_id = 4242 AND "
                  "table = 'loupe_record_minute' AND hour = toDateTime(" +
                      std::to_string(kDay0 / kSecond) + ")"),
            1u);
  // The replay, an hour and more later: the folded hour's cells are not sent again.
  EXPECT_EQ(send_write(*client, w, true), 3u);
  EXPECT_EQ(count(*client, "SELECT sum(requests) FROM loupe_record_minute WHERE span = 0"), 4u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records"), 4u);
  // Compacted again with the late hour's rows: still four, and a replay is a no-op.
  compact_rollups(*client, kDay0 + 3 * kHour);
  EXPECT_EQ(send_write(*client, w, true), 0u);
  EXPECT_EQ(count(*client, "SELECT sum(requests) FROM loupe_record_minute WHERE span = 0"), 4u);
  // Retention drops the notes with their day.
  drop_partitions_before(*client, kDay0 + kDay + kHour);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_folded_writes"), 0u);
}

TEST(ClickHouseServer, AStoreWriteWhoseBatchAnotherReplicaStoredIsWithdrawn) {
  auto client = migrated("loupe_write_withdraw");
  std::vector<Record> mine, theirs;
  PreparedWrite w = two_hour_write(111, mine, "agent twice");
  PreparedWrite other = two_hour_write(222, theirs, "agent twice");
  client->insert_row_binary(w.parts[0].target, w.parts[0].body);  // this replica died here
  EXPECT_EQ(send_write(*client, other, false), 5u);  // the agent's resend, to another replica
  EXPECT_EQ(send_write(*client, w, true), 0u);       // back on its spool: its first hour goes
  uint64_t rows = 0;
  for (int i = 0; i < 100 && (rows = count(*client, "SELECT count() FROM loupe_records")) != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a mutation, in the background
  EXPECT_EQ(rows, 2u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_records WHERE intDiv(id, 1048576) = 222"),
            2u);
}

// Cluster mode: tests/e2e/test_clickhouse_cluster.sh runs this one with
// LOUPE_CH_CLUSTER_URL naming a database on its two shards (elsewhere it
// is skipped). A write whose shard died after the write's first hour is
// resumed: the rest goes whole to a shard, nothing is doubled; a write
// withdrawn (its batch stored by another write) loses its rows on the local
// tables of every shard, which a Distributed table would not do.
TEST(ClickHouseCluster, AWriteCutByAShardsDeathIsResumedAndWithdrawnShardByShard) {
  const char* cluster_url = std::getenv("LOUPE_CH_CLUSTER_URL");
  if (!cluster_url || !*cluster_url) GTEST_SKIP() << "LOUPE_CH_CLUSTER_URL is not set";
  Url url = parse_url(cluster_url);
  Client client(url);
  Cluster cluster = read_cluster(client);
  for_hosts(cluster, url, Hosts::Each,
            [&url](Client& c) { c.execute_in_default("DROP DATABASE IF EXISTS " + url.database); });
  migrate(client, features_of(client.server_version()));
  ShardWrites shards(cluster, {});
  auto per_shard = [&](const std::string& sql) {
    std::vector<uint64_t> out;
    for_hosts(cluster, url, Hosts::OnePerShard, [&](Client& c) { out.push_back(count(c, sql)); });
    return out;
  };
  std::vector<Record> records, others, withdrawn;
  PreparedWrite w = two_hour_write(5151, records, "agent shard cut");
  shards.insert(url, {&w.parts[0], &w.parts[1]});       // the first hour, to shard 1, then it died
  EXPECT_EQ(send_write(client, w, true, &shards), 3u);  // the second hour and the key, to shard 2
  EXPECT_EQ(send_write(client, w, true, &shards), 0u);
  EXPECT_EQ(count(client, "SELECT count() FROM loupe_records"), 2u);
  EXPECT_EQ(count(client, "SELECT sum(requests) FROM loupe_record_minute"), 2u);
  EXPECT_EQ(per_shard("SELECT count() FROM loupe_records_local"), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(per_shard("SELECT sum(requests) FROM loupe_record_minute_local"),
            (std::vector<uint64_t>{1, 1}));

  PreparedWrite cut = two_hour_write(7171, withdrawn, "agent resent");
  PreparedWrite resent = two_hour_write(8181, others, "agent resent");
  shards.insert(url, {&cut.parts[0], &cut.parts[1]});         // shard 1, which then died
  EXPECT_EQ(send_write(client, resent, false, &shards), 5u);  // to shard 2
  EXPECT_EQ(send_write(client, cut, true, &shards), 0u);      // withdrawn from shard 1
  uint64_t rows = 0;
  for (int i = 0; i < 100 && (rows = count(client, "SELECT count() FROM loupe_records")) != 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a mutation, in the background
  EXPECT_EQ(rows, 4u);
  EXPECT_EQ(count(client, "SELECT count() FROM loupe_records WHERE intDiv(id, 1048576) = 7171"),
            0u);
  for (int i = 0; i < 100 && (rows = count(client,
                                           "SELECT count() FROM loupe_record_minute "
                                           "WHERE write_id = 7171")) != 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(rows, 0u);
}

TEST(ClickHouseServer, P95PerMinuteFromTheAggregatedTable) {
  auto client = migrated("loupe_p95");
  std::vector<Record> batch;
  // Minute 0: 1000 requests of 1..1000 ms (p95 = 950 ms); minute 1: 200 of 5 ms.
  for (int i = 1; i <= 1000; ++i)
    batch.push_back(request(kDay0 + (i % 60) * kSecond, static_cast<uint64_t>(i) * 1'000'000));
  for (int i = 0; i < 200; ++i) batch.push_back(request(kDay0 + 60 * kSecond + i, 5'000'000));
  batch.push_back(request(kDay0, 1'000'000, "/other"));
  insert_requests(*client, "p95", batch);

  auto rows = client->select(
      "SELECT toUInt32(minute), countMerge(requests), quantileTDigestMerge(0.95)(latency) "
      "FROM loupe_requests_minute WHERE service = 'shop' AND route = '/checkout' "
      "GROUP BY minute ORDER BY minute",
      3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::stoull(rows[0][0]), kDay0 / kSecond);
  EXPECT_EQ(rows[0][1], "1000");
  EXPECT_NEAR(std::stod(rows[0][2]) / 1e6, 950.0, 950.0 * 0.02);
  EXPECT_EQ(std::stoull(rows[1][0]), kDay0 / kSecond + 60);
  EXPECT_EQ(rows[1][1], "200");
  EXPECT_NEAR(std::stod(rows[1][2]) / 1e6, 5.0, 0.05);
}

TEST(ClickHouseServer, RetentionDropsWholeDays) {
  auto client = migrated("loupe_retention");
  std::vector<Record> batch;
  for (uint64_t d = 0; d < 3; ++d)
    for (int i = 0; i < 10; ++i) batch.push_back(request(kDay0 + d * kDay + i * kSecond, 1000));
  insert_requests(*client, "days", batch);
  // Cut in the middle of day 2: days 0 and 1 go, day 2 stays whole.
  auto dropped = drop_partitions_before(*client, kDay0 + 2 * kDay + kDay / 2);
  size_t request_partitions = 0;
  for (const auto& p : dropped) {
    if (p.table == "loupe_requests") ++request_partitions;
    EXPECT_TRUE(p.partition_id == "20251130" || p.partition_id == "20251201") << p.partition_id;
  }
  EXPECT_EQ(request_partitions, 2u);
  EXPECT_EQ(count(*client, "SELECT count() FROM loupe_requests"), 10u);
  EXPECT_EQ(count(*client, "SELECT countMerge(requests) FROM loupe_requests_minute"), 10u);
  EXPECT_TRUE(drop_partitions_before(*client, kDay0 + 2 * kDay + kDay / 2).empty());
}

TEST(ClickHouseServer, BadInputGetsOneClearLine) {
  // Wrong password.
  char path[] = "/tmp/loupe-ch-wrong.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "nope\n", 5), 5);
  close(fd);
  Client wrong(url_for("default", path));
  Error auth = error_of([&] { wrong.server_version(); });
  std::remove(path);
  EXPECT_EQ(auth.kind(), Error::Kind::Auth);
  EXPECT_TRUE(contains(auth.what(), "refused user 'loupe'")) << auth.what();
  EXPECT_TRUE(contains(auth.what(), "Wrong password")) << auth.what();
  EXPECT_FALSE(contains(auth.what(), "\n")) << auth.what();

  // A database that does not exist, not migrated.
  Client nodb(url_for("loupe_no_such_db"));
  Error unknown = error_of([&] { nodb.execute("SELECT 1"); });
  EXPECT_EQ(unknown.kind(), Error::Kind::UnknownDatabase);
  EXPECT_EQ(unknown.server_code(), 81);
  EXPECT_TRUE(contains(unknown.what(), "no database 'loupe_no_such_db'")) << unknown.what();

  // Nothing listening.
  Url closed = url_for("default");
  closed.port = 1;
  Client unreachable(closed, ClientOptions{std::chrono::milliseconds(500)});
  Error down = error_of([&] { unreachable.server_version(); });
  EXPECT_EQ(down.kind(), Error::Kind::Unreachable);
  EXPECT_TRUE(contains(down.what(), "cannot connect to ClickHouse at 127.0.0.1:1")) << down.what();

  // The native protocol's port instead of the HTTP one: ClickHouse's own hint.
  Url native = url_for("default");
  native.port = std::stoi(env("LOUPE_CH_TCP_PORT"));
  Client wrong_port(native);
  Error port = error_of([&] { wrong_port.server_version(); });
  EXPECT_EQ(port.kind(), Error::Kind::Server);
  EXPECT_TRUE(contains(port.what(), "You must use port " + env("LOUPE_CH_PORT") + " for HTTP"))
      << port.what();
  EXPECT_TRUE(contains(port.what(), "ClickHouse's HTTP port?")) << port.what();

  // SQL the server refuses: its message, its code.
  Client client(url_for("default"));
  Error syntax = error_of([&] { client.execute("SELEC 1"); });
  EXPECT_EQ(syntax.kind(), Error::Kind::Server);
  EXPECT_TRUE(contains(syntax.what(), "Syntax error")) << syntax.what();
  EXPECT_TRUE(contains(syntax.what(), "(code 62)")) << syntax.what();

  // An error late in a long answer is an error, not a truncated result.
  Error late = error_of([&] {
    client.select("SELECT throwIf(number = 3000000) FROM system.numbers LIMIT 5000000", 1);
  });
  EXPECT_EQ(late.kind(), Error::Kind::Server);
  EXPECT_EQ(late.server_code(), 395) << late.what();
  // An answer over max_result_bytes is refused by the server.
  Client small(url_for("default"), ClientOptions{.max_result_bytes = 100'000});
  Error big = error_of([&] { small.select("SELECT number FROM system.numbers LIMIT 1000000", 1); });
  EXPECT_EQ(big.server_code(), 396) << big.what();

  // Batch ids and sizes Loupe refuses before sending anything.
  auto db = migrated("loupe_bad_batch");
  std::vector<Record> one = {request(kDay0, 1)};
  EXPECT_EQ(error_of([&] { insert_requests(*db, "", one); }).kind(), Error::Kind::BadInput);
  EXPECT_EQ(error_of([&] { insert_requests(*db, std::string(300, 'x'), one); }).kind(),
            Error::Kind::BadInput);
  EXPECT_EQ(error_of([&] { insert_requests(*db, "a\nb", one); }).kind(), Error::Kind::BadInput);
  // A batch id with quotes and backslashes is data, not SQL.
  EXPECT_EQ(insert_requests(*db, "it's \\ 'odd'", one).rows_written, 1u);
  EXPECT_TRUE(insert_requests(*db, "it's \\ 'odd'", one).duplicate);
}

// Before hour cells, a day's services and endpoints shipped every minute
// cell of the day to Loupe, and at ~100 M records a day that passed the
// 64 MiB max_result_bytes and the API answered an error. Here the same at
// a small scale: 50 endpoints over 6 hours (18,000 minute cells) against a
// limit of 512 KiB, which the minute cells pass (checked first, so the
// test shows the limit bites) and the hour cells compaction leaves do not.
TEST(ClickHouseServer, ALongWindowAnswersWithinMaxResultBytesOnceHoursAreFolded) {
  const std::string database = "loupe_result_bytes";
  auto client = migrated(database);
  constexpr uint64_t kHours = 6, kServices = 10, kRoutes = 5;
  std::vector<Record> records;
  std::vector<std::string> services, routes;
  for (uint64_t s = 0; s < kServices; ++s)
    services.push_back("shop/Deployment/svc" + std::to_string(s));
  for (uint64_t r = 0; r < kRoutes; ++r) routes.push_back("/route/" + std::to_string(r));
  for (uint64_t m = 0; m < kHours * 60; ++m)
    for (uint64_t e = 0; e < kServices * kRoutes; ++e)
      records.push_back(request(kDay0 + m * 60 * kSecond + e * kSecond, (1 + e + m % 7) * 1'000'000,
                                routes[e % kRoutes]));
  ResolvedBatch batch;
  batch.records = records;
  const CallerIdentity& no_caller = batch.callers.emplace_back();
  for (uint32_t i = 0; i < records.size(); ++i) {
    ResolvedRecord row;
    row.index = i;
    row.service = &batch.services.emplace_back(
        ServiceIdentity{.name = services[i % (kServices * kRoutes) / kRoutes], .kind = "workload"});
    row.caller = &no_caller;
    row.route = records[i].route;
    batch.rows.push_back(row);
  }
  ClientOptions small;
  small.max_result_bytes = 512 << 10;
  ClickHouseStore limited(url_for(database), StoreOptions{}, SpoolOptions{}, small);
  ClickHouseStore unlimited(url_for(database), StoreOptions{});
  unlimited.write_batch(batch);
  // Half an hour in: the first half hour from minute cells, then five hours of hour cells.
  const TimeRange window{kDay0 + 1800 * kSecond, kDay0 + kHours * 3600 * kSecond};
  const auto expected = unlimited.endpoints(std::nullopt, window);
  ASSERT_EQ(expected.size(), kServices * kRoutes);
  uint64_t total = 0;
  for (const auto& e : expected) total += e.red.requests;
  EXPECT_EQ(total, (kHours * 60 - 30) * kServices * kRoutes);
  try {
    limited.endpoints(std::nullopt, window);
    ADD_FAILURE() << "18,000 minute cells fit in 512 KiB: the test shows nothing";
  } catch (const StoreError& e) {
    EXPECT_TRUE(contains(e.what(), "Limit for result exceeded")) << e.what();
  }

  compact_rollups(*client, kDay0 + kHours * 3600 * kSecond + kDay, false, 3 * kHours);
  auto endpoints = limited.endpoints(std::nullopt, window);  // throws past the limit
  ASSERT_EQ(endpoints.size(), expected.size());
  for (size_t i = 0; i < endpoints.size(); ++i) {
    EXPECT_EQ(endpoints[i].route, expected[i].route);
    EXPECT_EQ(endpoints[i].red.requests, expected[i].red.requests);
    EXPECT_EQ(endpoints[i].red.active_s, expected[i].red.active_s);
    EXPECT_EQ(endpoints[i].red.p95_ms, expected[i].red.p95_ms);
  }
  uint64_t served = 0;
  for (const auto& s : limited.services({.range = window})) served += s.red.requests;
  EXPECT_EQ(served, total);
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
