// The embedded store's raw requests as chunks (store/request_chunks.h):
// retention that cuts through a chunk, and stores made with the
// row-per-request `requests` table converted when opened.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "conformance.h"
#include "store/sqlite_db.h"
#include "temp_dir.h"

namespace loupe::store::testing {
namespace {

TEST(SqliteRequestChunks, RetentionCutsThroughAMinuteExactlyAndKeepsIds) {
  ::loupe::testing::TempDir dir;
  StoreOptions opts{.retention_ns = 3600 * kSec};
  auto store = open_sqlite_store(dir.path(), opts);
  std::vector<Record> in;
  for (uint64_t s = 0; s < 120; ++s) in.push_back(served(kT0 + s * kSec, kMs, "/r"));
  pipeline::RecordPipeline(*store).write(in);
  RequestQuery q;
  q.range = {0, kT0 + 7200 * kSec};
  q.limit = 1000;
  auto before = store->requests(q);
  ASSERT_EQ(before.size(), 120u);
  // The cutoff falls 30.5 s into the second minute: 91 records go.
  uint64_t cutoff = kT0 + 90 * kSec + kSec / 2;
  EXPECT_EQ(store->enforce_retention(cutoff + 3600 * kSec), 91u);
  EXPECT_EQ(store->stats().records_stored, 29u);
  auto after = store->requests(q);
  ASSERT_EQ(after.size(), 29u);
  EXPECT_EQ(after.back().record.start_ns, kT0 + 91 * kSec);
  EXPECT_EQ(store->count_requests(q, 1000), 29u);
  for (size_t i = 0; i < after.size(); ++i) {  // the records kept keep their ids
    EXPECT_EQ(after[i].id, before[i].id);
    auto one = store->request(before[i].id);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->record.start_ns, before[i].record.start_ns);
  }
  EXPECT_FALSE(store->request(before.back().id)) << "a deleted record is not found";
  store.reset();
  store = open_sqlite_store(dir.path(), opts);
  EXPECT_EQ(store->stats().records_stored, 29u);
  // Ids are never reused, even once every chunk is gone.
  EXPECT_EQ(store->enforce_retention(kT0 + 7200 * kSec + 3600 * kSec), 29u);
  pipeline::RecordPipeline(*store).write({served(kT0 + 7300 * kSec, kMs, "/r")});
  q.range.to_ns = kT0 + 8000 * kSec;
  auto fresh = store->requests(q);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_GT(fresh[0].id, before.front().id);
}

// ChunkWriter sorts a round's rows by start: merged when they come as
// ascending runs (up to 1,024), std::sort past them. Whatever the order
// written, a chunk's records (ids) come back in start order, none lost.
TEST(SqliteRequestChunks, ChunksHoldRecordsInStartOrderHoweverTheyCame) {
  const size_t n = 3000;  // in one minute: one chunk
  std::vector<std::vector<size_t>> orders;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  orders.push_back(order);  // one run
  std::vector<size_t> two;  // odd starts, then even ones: two runs
  for (size_t i = 1; i < n; i += 2) two.push_back(i);
  for (size_t i = 0; i < n; i += 2) two.push_back(i);
  orders.push_back(two);
  std::vector<size_t> runs;  // 100 runs of 30, the last run first
  for (size_t r = 100; r-- > 0;)
    for (size_t i = 0; i < 30; ++i) runs.push_back(r * 30 + i);
  orders.push_back(runs);
  std::reverse(order.begin(), order.end());  // n runs of one
  orders.push_back(order);
  for (const auto& o : orders) {
    ::loupe::testing::TempDir dir;
    auto store = open_sqlite_store(dir.path(), {.retention_ns = 0});
    std::vector<Record> in;
    for (size_t i : o) in.push_back(served(kT0 + i * 10 * kMs, kMs, "/r"));
    pipeline::RecordPipeline(*store).write(in);
    RequestQuery q;
    q.range = {0, kT0 + 3600 * kSec};
    q.limit = 10000;
    auto out = store->requests(q);
    ASSERT_EQ(out.size(), n);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(out[i].record.start_ns, kT0 + i * 10 * kMs) << i;
  }
}

// The schema of stores made before chunks, as they were written (the
// caller and tid columns came later; `with_late_columns` false: a store
// older still).
void make_legacy_store(const std::string& dir, int rows, bool with_late_columns) {
  std::filesystem::create_directories(dir);
  Db db(dir + "/loupe.db");
  db.exec(R"sql(
CREATE TABLE requests(
  id INTEGER PRIMARY KEY,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL,
  service_id INTEGER NOT NULL, counted INTEGER NOT NULL,
  protocol INTEGER NOT NULL, role INTEGER NOT NULL, tls INTEGER NOT NULL, pid INTEGER NOT NULL,
  comm TEXT, local_addr TEXT, remote_addr TEXT,
  method TEXT, path TEXT, route_id INTEGER NOT NULL, host TEXT, status INTEGER, error INTEGER,
  error_code TEXT, error_message TEXT, detail TEXT, trace_id TEXT,
  req_bytes INTEGER, resp_bytes INTEGER, k8s TEXT);
CREATE INDEX requests_service_route ON requests(service_id, route_id);
CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO names(id, name) VALUES(1, 'api:8000'), (2, '/users/{id}'), (3, 'web:80');
)sql");
  if (with_late_columns) {
    db.exec("ALTER TABLE requests ADD COLUMN caller TEXT");
    db.exec("ALTER TABLE requests ADD COLUMN tid INTEGER NOT NULL DEFAULT 0");
  }
  // Row i starts at kT0 + i ms (time key: microseconds << 10); odd rows
  // are web:80's client side, not counted; row 0 carries every field.
  std::string sql =
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < " +
      std::to_string(rows) +
      ") INSERT INTO requests(id, start_ns, end_ns, duration_ns, service_id, counted, protocol, "
      "role, tls, pid, comm, local_addr, remote_addr, method, path, route_id, host, status, "
      "error, error_code, error_message, detail, trace_id, req_bytes, resp_bytes, k8s" +
      std::string(with_late_columns ? ", caller, tid" : "") + ") SELECT ((" +
      std::to_string(kT0 / 1000) + " + i * 1000) << 10), " + std::to_string(kT0) +
      " + i * 1000000, " + std::to_string(kT0) +
      " + i * 1000000 + 5000000, 5000000, 1 + 2 * (i % 2), 1 - i % 2, 1, 2 - i % 2, i = 0, 42, "
      "'api', '127.0.0.1:8000', '127.0.0.1:50000', 'GET', '/users/' || i, 2, 'Shop.Example', "
      "200 + 300 * (i % 7 = 3), i % 7 = 3, 'E1', 'boom', 'd', 't' || i, 10, 20, "
      "CASE WHEN i = 0 THEN 'node-1' || char(31) || 'shop' || char(31) || 'api-7f' || char(31) "
      "|| 'api' || char(31) || 'Deployment/api' || char(31) || 'api' || char(31) || 'shop' || "
      "char(31) || 'web-1' || char(31) || 'Deployment/web' || char(31) || 'web' || char(31) END" +
      std::string(with_late_columns ? ", CASE WHEN i % 2 THEN 'worker (pid 9)' END, 1000 + i"
                                    : "") +
      " FROM n";
  db.exec(sql.c_str());
}

TEST(SqliteRequestChunks, AnOldRequestsTableIsConvertedWhenOpened) {
  ::loupe::testing::TempDir dir;
  constexpr int kRows = 120'000;  // three conversion batches
  make_legacy_store(dir.path(), kRows, true);
  auto store = open_sqlite_store(dir.path(), {.retention_ns = 0});
  EXPECT_EQ(store->stats().records_stored, static_cast<uint64_t>(kRows));
  RequestQuery q;
  q.range = {kT0, kT0 + 3600 * kSec};
  q.limit = 3;
  q.with_self = true;
  auto newest = store->requests(q);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].record.start_ns, kT0 + (kRows - 1) * kMs);
  EXPECT_EQ(newest[0].record.path, "/users/" + std::to_string(kRows - 1));
  EXPECT_EQ(newest[0].record.tid, static_cast<uint32_t>(1000 + kRows - 1));
  EXPECT_EQ(newest[0].service, "web:80");
  EXPECT_EQ(newest[0].caller, "worker (pid 9)");
  EXPECT_FALSE(newest[0].counted);
  EXPECT_EQ(newest[0].record.role, Role::Client);
  q.service = "api:8000";
  q.counted = true;
  EXPECT_EQ(store->count_requests(q, 1u << 30), static_cast<uint64_t>(kRows / 2));
  q = {};
  q.range = {kT0, kT0 + 1};
  auto first = store->requests(q);
  ASSERT_EQ(first.size(), 1u);
  const StoredRequest& r0 = first[0];
  EXPECT_EQ(r0.service, "api:8000");
  EXPECT_TRUE(r0.counted);
  EXPECT_EQ(r0.caller, "");
  EXPECT_EQ(r0.record.route, "/users/{id}");
  EXPECT_EQ(r0.record.path, "/users/0");
  EXPECT_EQ(r0.record.end_ns, kT0 + 5 * kMs);
  EXPECT_TRUE(r0.record.tls);
  EXPECT_EQ(r0.record.host, "Shop.Example");
  EXPECT_EQ(r0.record.trace_id, "t0");
  EXPECT_EQ(r0.record.req_bytes, 10u);
  EXPECT_EQ(r0.record.resp_bytes, 20u);
  EXPECT_EQ(r0.record.pod(), "api-7f");
  EXPECT_EQ(r0.record.remote_service(), "web");
  auto by_id = store->request(r0.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->record.path, "/users/0");
  q = {};
  q.range = {kT0, kT0 + 3600 * kSec};
  q.status = 500;
  uint64_t failing = 0;
  for (int i = 0; i < kRows; ++i) failing += i % 7 == 3;
  EXPECT_EQ(store->count_requests(q, 1u << 30), failing);
  // The old table is gone, and a reopen finds the same records.
  store.reset();
  {
    Db db(dir.path() + "/loupe.db");
    EXPECT_FALSE(
        Stmt(db, "SELECT 1 FROM sqlite_master WHERE name IN ('requests', 'requests_service_route')")
            .step());
  }
  store = open_sqlite_store(dir.path(), {.retention_ns = 0});
  EXPECT_EQ(store->stats().records_stored, static_cast<uint64_t>(kRows));
}

TEST(SqliteRequestChunks, AStoreOlderThanTheCallerColumnConvertsToo) {
  ::loupe::testing::TempDir dir;
  make_legacy_store(dir.path(), 10, false);
  auto store = open_sqlite_store(dir.path(), {.retention_ns = 0});
  RequestQuery q;
  q.range = {kT0, kT0 + 3600 * kSec};
  q.with_self = true;
  auto got = store->requests(q);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0].caller, "");
  EXPECT_EQ(got[0].record.tid, 0u);
  EXPECT_EQ(got[9].record.path, "/users/0");
}

}  // namespace
}  // namespace loupe::store::testing
