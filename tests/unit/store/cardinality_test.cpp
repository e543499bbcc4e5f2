// Cardinality caps and the retention of names and services.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "pipeline/record_pipeline.h"
#include "store/cardinality_cap.h"
#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;

Record served(uint64_t start_ns, const std::string& route, const std::string& local_addr) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + 1000;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.comm = "api";
  r.local_addr = local_addr;
  r.remote_addr = "10.0.0.9:40000";
  r.method = "GET";
  r.route = route;
  r.path = route;
  r.status = 200;
  return r;
}

int64_t count_rows(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &st, nullptr);
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

TEST(CardinalityCap, AdmitsUpToTheCapPerOwnerAndKeepsAdmittedValues) {
  CardinalityCap cap(2);
  EXPECT_TRUE(cap.admit("svc", "/a"));
  EXPECT_TRUE(cap.admit("svc", "/b"));
  EXPECT_FALSE(cap.admit("svc", "/c"));
  EXPECT_TRUE(cap.admit("svc", "/a"));
  EXPECT_TRUE(cap.admit("other", "/c"));
  cap.clear();
  EXPECT_TRUE(cap.admit("svc", "/c"));
  CardinalityCap none;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(none.admit("svc", std::to_string(i)));
}

TEST(SqliteStore, RoutesPastTheCapFoldIntoOther) {
  testing::TempDir dir;
  pipeline::PipelineOptions opts;
  opts.resolve.max_routes_per_service = 5;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store, opts);
  std::vector<Record> batch;
  for (int i = 0; i < 50; ++i)
    batch.push_back(served(kT0 + i * kSec, "/r" + std::to_string(i), "127.0.0.1:80"));
  pipe.write(batch);
  TimeRange all{0, kT0 + 3600 * kSec};
  auto eps = store->endpoints(std::nullopt, all);
  std::set<std::string> routes;
  uint64_t total = 0, other = 0;
  for (const auto& e : eps) {
    routes.insert(e.route);
    total += e.red.requests;
    if (e.route == "{other}") other = e.red.requests;
  }
  EXPECT_EQ(routes.size(), 6u);  // five routes and {other}
  EXPECT_EQ(total, 50u);         // nothing is lost, only folded
  EXPECT_EQ(other, 45u);
  // The cap holds across a restart: the routes come back from the rollups.
  store.reset();
  store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline reopened(*store, opts);
  reopened.write({served(kT0 + 100 * kSec, "/brand-new", "127.0.0.1:80"),
                  served(kT0 + 101 * kSec, "/r0", "127.0.0.1:80")});
  RequestQuery q;
  q.range = all;
  q.limit = 2;
  auto latest = store->requests(q);
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].record.route, "/r0");
  EXPECT_EQ(latest[1].record.route, "{other}");
  EXPECT_EQ(latest[1].record.path, "/brand-new");  // the raw path is kept
}

TEST(SqliteStore, ServicesPastThePerHostCapFoldIntoOther) {
  testing::TempDir dir;
  pipeline::PipelineOptions opts;
  opts.resolve.max_services_per_host = 3;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store, opts);
  std::vector<Record> batch;
  for (int port = 1; port <= 10; ++port)
    batch.push_back(served(kT0 + port * kSec, "/", "10.1.1.1:" + std::to_string(port)));
  batch.push_back(served(kT0, "/", "10.2.2.2:1"));  // another host has room of its own
  pipe.write(batch);
  std::set<std::string> names;
  for (const auto& s : store->services({.range = {0, kT0 + 3600 * kSec}})) names.insert(s.name);
  EXPECT_EQ(names, (std::set<std::string>{"api:1", "api:2", "api:3", "{other}"}));
}

TEST(SqliteStore, RetentionPrunesNamesAndServicesNoRowUses) {
  testing::TempDir dir;
  StoreOptions opts;
  opts.retention_ns = 3600 * kSec;
  auto store = open_sqlite_store(dir.path(), opts);
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> old_batch;
  for (int i = 0; i < 20; ++i)
    old_batch.push_back(served(kT0 + i * kSec, "/old" + std::to_string(i),
                               "127.0.0.1:" + std::to_string(1000 + i)));
  pipe.write(old_batch);
  pipe.write({served(kT0 + 7200 * kSec, "/new", "127.0.0.1:80")});
  std::string db = dir.path() + "/loupe.db";
  EXPECT_EQ(count_rows(db, "services"), 21);
  EXPECT_GE(count_rows(db, "names"), 42);
  store->enforce_retention(kT0 + 7200 * kSec + 1);
  EXPECT_EQ(count_rows(db, "services"), 1);
  EXPECT_LE(count_rows(db, "names"), 3);  // "api:80", "/new" (and its method)
  auto services = store->services({.range = {0, kT0 + 8000 * kSec}});
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "api:80");
  // Writing continues with fresh name ids.
  pipe.write({served(kT0 + 7201 * kSec, "/old3", "127.0.0.1:1003")});
  EXPECT_EQ(store->endpoints(std::nullopt, {0, kT0 + 8000 * kSec}).size(), 2u);
}

}  // namespace
}  // namespace loupe::store
