#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "pipeline/record_pipeline.h"
#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kMs = 1'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;  // a minute boundary (1764000000 % 60 == 0)

Record http(uint64_t start_ns, uint64_t dur_ns, const std::string& route, int status,
            Role role = Role::Server) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + dur_ns;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = 42;
  r.comm = "api";
  if (role == Role::Server) {
    r.local_addr = "127.0.0.1:8000";
    r.remote_addr = "127.0.0.1:50000";
  } else {
    r.comm = "worker";
    r.local_addr = "127.0.0.1:50000";
    r.remote_addr = "127.0.0.1:8000";
  }
  r.method = "GET";
  r.route = route;
  r.path = route;
  r.status = status;
  r.error = status >= 500;
  return r;
}

TEST(SqliteStore, ClientSideOfLocalCallStoredButNotCounted) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  // Client record first in the batch: the server side must still be learned first.
  pipe.write(
      {http(kT0, 5 * kMs, "/x", 200, Role::Client), http(kT0, 4 * kMs, "/x", 200, Role::Server)});
  // A later batch with only the client side also dedups.
  pipe.write({http(kT0 + kSec, 5 * kMs, "/x", 200, Role::Client)});
  // An external call counts for the external service.
  Record ext = http(kT0, 50 * kMs, "/v1/charge", 200, Role::Client);
  ext.remote_addr = "93.184.216.34:443";
  ext.host = "api.stripe.com";
  pipe.write({ext});

  TimeRange range{kT0, kT0 + 60 * kSec};
  auto services = store->services({.range = range});
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].name, "api:8000");
  EXPECT_EQ(services[0].red.requests, 1u);
  EXPECT_EQ(services[1].name, "external:api.stripe.com");
  EXPECT_EQ(services[1].kind, "external");
  EXPECT_EQ(services[1].red.requests, 1u);

  RequestQuery rq;
  rq.service = "api:8000";
  rq.range = range;
  auto raw = store->requests(rq);
  ASSERT_EQ(raw.size(), 3u);                      // both sides kept raw
  EXPECT_EQ(raw[0].record.start_ns, kT0 + kSec);  // newest first
  EXPECT_FALSE(raw[0].counted);
}

// One connection's records in one batch: the writer folds its rows one
// after another, comparing each with the last; a row whose method, route,
// minute or counted side changes gets its own cell, and the map's edge
// (drawn by the client side) counts every client row.
TEST(SqliteStore, ConsecutiveRowsOfOneConnectionEachCountInTheirOwnCells) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> batch;
  for (uint64_t i = 0; i < 180; ++i) {
    Record r = http(kT0 + i * kSec, (i + 1) * kMs, i % 3 ? "/a" : "/b", 200,
                    i % 5 == 0 ? Role::Client : Role::Server);
    if (i % 4 == 0) r.method = "POST";
    batch.push_back(r);
  }
  pipe.write(batch);
  TimeRange range{kT0, kT0 + 180 * kSec};
  std::map<std::string, uint64_t> counted, expected;
  for (const Record& r : batch)
    if (r.role == Role::Server) ++expected[r.method + " " + r.route];
  for (const auto& e : store->endpoints(std::string("api:8000"), range))
    counted[e.method + " " + e.route] = e.red.requests;
  EXPECT_EQ(counted, expected);
  auto points = store->latency({.service = "api:8000", .step_s = 60, .range = range});
  ASSERT_EQ(points.size(), 3u);
  for (const LatencyPoint& p : points) EXPECT_EQ(p.count, 48u) << p.t;  // 60 - 12 client rows
  auto edges = store->map(range);
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].red.requests, 36u);
}

TEST(SqliteStore, UnknownRoleRecordsStillListTheirService) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  Record r = http(kT0, kMs, "/x", 200);
  r.role = Role::Unknown;
  pipe.write({r});
  auto services = store->services({.range = {kT0, kT0 + 60 * kSec}});
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "api:8000");
  EXPECT_EQ(services[0].red.requests, 1u);
}

TEST(SqliteStore, RequestFiltersAndRoundTrip) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  Record r = http(kT0, 250 * kMs, "/users/{id}", 503);
  r.path = "/users/42?x=1";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.req_bytes = 123;
  edit(r.local_identity).namespace_ = "shop";
  edit(r.local_identity).pod = "api-7d9";
  std::vector<Record> batch{r};
  for (int i = 1; i <= 20; ++i) batch.push_back(http(kT0 + i * kSec, kMs, "/health", 200));
  pipe.write(batch);

  RequestQuery q;
  q.range = {kT0, kT0 + 60 * kSec};
  q.limit = 5;
  auto got = store->requests(q);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].record.start_ns, kT0 + 20 * kSec);

  q.limit = 100;
  q.status = 503;
  got = store->requests(q);
  ASSERT_EQ(got.size(), 1u);
  const Record& back = got[0].record;
  EXPECT_EQ(back.path, r.path);
  EXPECT_EQ(back.trace_id, r.trace_id);
  EXPECT_EQ(back.req_bytes, 123u);
  EXPECT_EQ(back.namespace_(), "shop");
  EXPECT_EQ(back.pod(), "api-7d9");
  EXPECT_EQ(back.duration_ns(), 250 * kMs);
  EXPECT_TRUE(back.error);

  q.status.reset();
  q.min_duration_ns = 100 * kMs;
  EXPECT_EQ(store->requests(q).size(), 1u);
  q.min_duration_ns = 0;
  q.route = "/health";
  EXPECT_EQ(store->requests(q).size(), 20u);
  q.protocol = Protocol::Redis;
  EXPECT_TRUE(store->requests(q).empty());
}

// What an on-call engineer asks first: when did errors spike, and which
// were the slowest requests of the window and of one minute, over all of
// it, not over the latest N records.
TEST(SqliteStore, ErrorsPerMinuteAndSlowestOverTheWholeWindow) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> batch;
  // 10 minutes of 100 requests each; minute 3 is an incident: 30 errors
  // and its slowest request (810 ms) early in the minute; the window's
  // slowest (900 ms) is in minute 1, long before the latest records.
  for (uint64_t m = 0; m < 10; ++m)
    for (uint64_t k = 0; k < 100; ++k) {
      uint64_t dur = (5 + k % 7) * kMs;
      if (m == 1 && k == 2) dur = 900 * kMs;
      if (m == 3 && k == 1) dur = 810 * kMs;
      int status = (m == 3 && k % 10 < 3) || (m != 3 && k == 50) ? 500 : 200;
      batch.push_back(http(kT0 + m * 60 * kSec + k * 500 * kMs, dur, "/a", status));
    }
  pipe.write(batch);
  TimeRange range{kT0, kT0 + 10 * 60 * kSec};

  LatencyQuery lq;
  lq.service = "api:8000";
  lq.range = {kT0, kT0 + 12 * 60 * kSec};  // two minutes without data at the end
  auto points = store->latency(lq);
  ASSERT_EQ(points.size(), 12u);
  for (uint64_t m = 0; m < 10; ++m) {
    EXPECT_EQ(points[m].count, 100u);
    EXPECT_EQ(points[m].errors, m == 3 ? 30u : 1u) << "minute " << m;
  }
  EXPECT_EQ(points[10].count, 0u);
  EXPECT_EQ(points[10].errors, 0u);
  EXPECT_EQ(points[10].value_ms, 0);  // no data (the API sends null)
  // Rates: over the window, and over the minutes that had traffic.
  auto services = store->services({.range = lq.range});
  ASSERT_EQ(services.size(), 1u);
  EXPECT_DOUBLE_EQ(services[0].red.rate_per_s, 1000.0 / 720);
  EXPECT_DOUBLE_EQ(services[0].red.active_rate_per_s, 1000.0 / 600);

  RequestQuery q;
  q.service = "api:8000";
  q.range = range;
  q.limit = 5;
  q.order = RequestOrder::Slowest;
  auto slow = store->requests(q);
  ASSERT_EQ(slow.size(), 5u);
  EXPECT_EQ(slow[0].record.duration_ns(), 900 * kMs);
  EXPECT_EQ(slow[1].record.duration_ns(), 810 * kMs);
  for (size_t i = 1; i < slow.size(); ++i)
    EXPECT_GE(slow[i - 1].record.duration_ns(), slow[i].record.duration_ns());
  // Newest-first with the same limit sees none of them.
  q.order = RequestOrder::Newest;
  for (const auto& r : store->requests(q)) EXPECT_LT(r.record.duration_ns(), 100 * kMs);

  // One minute: its slowest, wherever it lies in the minute.
  q.order = RequestOrder::Slowest;
  q.range = {kT0 + 3 * 60 * kSec, kT0 + 4 * 60 * kSec};
  q.limit = 1;
  slow = store->requests(q);
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_EQ(slow[0].record.duration_ns(), 810 * kMs);

  // Totals: what matches, whatever the limit.
  q.range = range;
  EXPECT_EQ(store->count_requests(q, 1u << 20), 1000u);
  EXPECT_EQ(store->count_requests(q, 10), 10u);  // bounded work
  q.status = 500;
  EXPECT_EQ(store->count_requests(q, 1u << 20), 39u);
  // A request by its id, for a deep link.
  auto one = store->request(slow[0].id);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->record.start_ns, slow[0].record.start_ns);
  EXPECT_EQ(one->service, "api:8000");
  EXPECT_FALSE(store->request(12345).has_value());
}

TEST(SqliteStore, EachCallOnceAndFreeTextSearch) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  Record client = http(kT0, 5 * kMs, "/x", 200, Role::Client);
  client.pid = 7;
  Record server = http(kT0, 4 * kMs, "/x", 200, Role::Server);
  Record ext = http(kT0 + kSec, 50 * kMs, "/v1/charge", 200, Role::Client);
  ext.local_addr = "10.0.0.2:42000";
  ext.remote_addr = "93.184.216.34:443";
  ext.host = "api.Stripe.com";
  ext.path = "/v1/charge?amount=100_%";
  pipe.write({client, server, ext});
  RequestQuery q;
  q.range = {kT0, kT0 + 60 * kSec};
  EXPECT_EQ(store->count_requests(q, 1u << 20), 3u);  // every copy
  q.counted = true;                                   // each call once
  auto once = store->requests(q);
  ASSERT_EQ(once.size(), 2u);
  EXPECT_EQ(once[0].record.role, Role::Client);  // the outside call: its client side
  EXPECT_EQ(once[1].record.role, Role::Server);  // the local call: its server side
  // The caller as on the map: the server copy names the local client process
  // (by its address), the client copy of the outside call is the process
  // that also serves api:8000.
  EXPECT_EQ(once[1].caller, "worker (pid 7)");
  EXPECT_EQ(once[0].caller, "api:8000");
  q.counted = false;
  ASSERT_EQ(store->requests(q).size(), 1u);

  q.counted.reset();
  q.text = "stripe";  // host, case-insensitive
  EXPECT_EQ(store->count_requests(q, 1u << 20), 1u);
  q.text = "100_%";  // LIKE wildcards taken literally
  EXPECT_EQ(store->requests(q).size(), 1u);
  q.text = "1%0";
  EXPECT_EQ(store->count_requests(q, 1u << 20), 0u);
  q.text = "/x";
  EXPECT_EQ(store->count_requests(q, 1u << 20), 2u);
}

TEST(SqliteStore, CallsToLoupesOwnPortAreServiceLoupe) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store, {.resolve = {.self_port = 8080}});
  Record ui = http(kT0, kMs, "/api/v1/services", 200, Role::Client);
  ui.comm = "chromium";
  ui.remote_addr = "127.0.0.1:8080";
  ui.host = "127.0.0.1:8080";
  Record other = http(kT0, kMs, "/x", 200, Role::Client);
  other.remote_addr = "127.0.0.1:9999";
  pipe.write({ui, other});
  auto services = store->services({.range = {kT0, kT0 + 60 * kSec}});
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[1].name, "loupe");
  EXPECT_EQ(services[1].kind, "loupe");
  EXPECT_EQ(services[1].red.requests, 1u);
  EXPECT_EQ(services[0].name, "external:127.0.0.1:9999");  // no Host header: the address
}

TEST(SqliteStore, SameMicrosecondAndLateRecordsAreAllKept) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> same(3000, http(kT0 + 10 * kSec, kMs, "/a", 200));  // > 1024 per us
  pipe.write(same);
  std::vector<Record> late(50, http(kT0 + 10 * kSec, kMs, "/a", 200));  // same us again, later
  late.push_back(http(kT0 + 5 * kSec, kMs, "/a", 200));                 // older than stored rows
  pipe.write(late);
  EXPECT_EQ(store->stats().records_stored, 3051u);
  RequestQuery q;
  q.range = {kT0, kT0 + 60 * kSec};
  q.limit = 10000;
  auto got = store->requests(q);
  ASSERT_EQ(got.size(), 3051u);
  EXPECT_EQ(got.back().record.start_ns, kT0 + 5 * kSec);
  q.range = {kT0 + 10 * kSec, kT0 + 10 * kSec + 1};
  EXPECT_EQ(store->requests(q).size(), 3050u);
}

// Every field of every record of a batch comes back as written (through
// the chunk codec), and after a restart the same start times written again
// lose and overwrite nothing.
TEST(SqliteStore, EveryFieldOfEveryRowOfLargeBatchesRoundTrips) {
  testing::TempDir dir;
  auto make = [](int i) {
    Record r = http(kT0 + static_cast<uint64_t>(i) * kMs, kMs + static_cast<uint64_t>(i), "/r",
                    200 + i % 300);
    r.path = "/r?i=" + std::to_string(i);
    r.pid = static_cast<uint32_t>(1000 + i);
    r.tid = static_cast<uint32_t>(2000 + i);
    r.req_bytes = static_cast<uint64_t>(i);
    r.resp_bytes = static_cast<uint64_t>(3 * i);
    r.host = "h" + std::to_string(i);
    r.error_message = i % 2 ? "" : "boom " + std::to_string(i);
    r.detail = "d" + std::to_string(i);
    r.trace_id = i % 3 ? "" : "t" + std::to_string(i);
    if (i % 5 == 0) edit(r.local_identity).pod = "pod-" + std::to_string(i);
    return r;
  };
  auto check_all = [&](Store& store, int n) {
    RequestQuery q;
    q.range = {kT0, kT0 + 60 * kSec};
    q.limit = 10000;
    auto got = store.requests(q);  // newest first
    ASSERT_EQ(got.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const Record& r = got[static_cast<size_t>(n - 1 - i)].record;
      Record want = make(i % 100);
      SCOPED_TRACE(i);
      EXPECT_EQ(r.start_ns, want.start_ns);
      EXPECT_EQ(r.end_ns, want.end_ns);
      EXPECT_EQ(r.path, want.path);
      EXPECT_EQ(r.status, want.status);
      EXPECT_EQ(r.pid, want.pid);
      EXPECT_EQ(r.tid, want.tid);
      EXPECT_EQ(r.req_bytes, want.req_bytes);
      EXPECT_EQ(r.resp_bytes, want.resp_bytes);
      EXPECT_EQ(r.host, want.host);
      EXPECT_EQ(r.error_message, want.error_message);
      EXPECT_EQ(r.detail, want.detail);
      EXPECT_EQ(r.trace_id, want.trace_id);
      EXPECT_EQ(r.pod(), want.pod());
      EXPECT_EQ(r.route, "/r");
    }
  };
  std::vector<Record> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(make(i));
  {
    auto store = open_sqlite_store(dir.path());
    pipeline::RecordPipeline pipe(*store);
    pipe.write(batch);
    check_all(*store, 100);
  }
  // The same start times again after a restart: a second chunk beside the first.
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  pipe.write(batch);
  EXPECT_EQ(store->stats().records_stored, 200u);
  RequestQuery q;
  q.range = {kT0, kT0 + 60 * kSec};
  q.limit = 10000;
  auto got = store->requests(q);
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 100; ++i) {  // two rows per start time, both whole
    EXPECT_EQ(got[static_cast<size_t>(2 * (99 - i))].record.path, make(i).path);
    EXPECT_EQ(got[static_cast<size_t>(2 * (99 - i) + 1)].record.path, make(i).path);
  }
}

TEST(SqliteStore, RetentionDeletesOldData) {
  testing::TempDir dir;
  StoreOptions opts;
  opts.retention_ns = 3600 * kSec;
  auto store = open_sqlite_store(dir.path(), opts);
  pipeline::RecordPipeline pipe(*store);
  pipe.write({http(kT0, kMs, "/old", 200), http(kT0 + 7200 * kSec, kMs, "/new", 200)});
  EXPECT_EQ(store->enforce_retention(kT0 + 7200 * kSec + 1), 1u);
  EXPECT_EQ(store->stats().records_stored, 1u);
  TimeRange all{0, kT0 + 10000 * kSec};
  RequestQuery q;
  q.range = all;
  auto left = store->requests(q);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].record.route, "/new");
  auto eps = store->endpoints(std::nullopt, all);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].route, "/new");
}

TEST(SqliteStore, SurvivesRestart) {
  testing::TempDir dir;
  {
    auto store = open_sqlite_store(dir.path());
    pipeline::RecordPipeline pipe(*store);
    pipe.write({http(kT0, 7 * kMs, "/a", 200), http(kT0 + kSec, 9 * kMs, "/a", 500)});
  }
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  EXPECT_EQ(store->stats().records_stored, 2u);
  TimeRange range{kT0, kT0 + 60 * kSec};
  auto eps = store->endpoints(std::nullopt, range);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].red.requests, 2u);
  EXPECT_EQ(eps[0].red.errors, 1u);
  // Learned servers survive too: a client call to the same port still dedups.
  pipe.write({http(kT0 + 2 * kSec, 5 * kMs, "/a", 200, Role::Client)});
  EXPECT_EQ(store->endpoints(std::nullopt, range)[0].red.requests, 2u);
  // Aggregates merge with rows written before the restart.
  pipe.write({http(kT0 + 3 * kSec, 5 * kMs, "/a", 200)});
  EXPECT_EQ(store->endpoints(std::nullopt, range)[0].red.requests, 3u);
}

TEST(SqliteStore, UnwritableDirectoryIsAClearError) {
  try {
    open_sqlite_store("/proc/loupe-cannot-exist");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/loupe-cannot-exist"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--data-dir"), std::string::npos);
  }
}

}  // namespace
}  // namespace loupe::store
