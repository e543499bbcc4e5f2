#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

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

double exact_p(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::max<size_t>(1, static_cast<size_t>(std::ceil(q * v.size()))) - 1];
}

TEST(SqliteStore, RedCountsErrorRatesAndQuantiles) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(3e6), 0.8);
  std::vector<Record> batch;
  std::vector<double> users_ms;
  for (int i = 0; i < 6000; ++i) {
    bool users = i % 3 != 0;
    uint64_t d = static_cast<uint64_t>(lat(rng));
    int status = users ? (i % 10 == 1 ? 500 : 200) : 200;
    batch.push_back(http(kT0 + static_cast<uint64_t>(i) * 100 * kMs, d,
                         users ? "/users/{id}" : "/health", status));
    if (users) users_ms.push_back(static_cast<double>(d) / 1e6);
  }
  pipe.write(batch);
  TimeRange range{kT0, kT0 + 600 * kSec};  // the 6000 records span 600 s

  auto services = store->services(range);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "api:8000");
  EXPECT_EQ(services[0].kind, "process");
  EXPECT_EQ(services[0].ports, std::vector<uint16_t>{8000});
  EXPECT_EQ(services[0].red.requests, 6000u);
  EXPECT_DOUBLE_EQ(services[0].red.rate_per_s, 10.0);

  auto eps = store->endpoints(std::string("api:8000"), range);
  ASSERT_EQ(eps.size(), 2u);
  const auto& users = eps[1].route == "/users/{id}" ? eps[1] : eps[0];
  EXPECT_EQ(users.method, "GET");
  EXPECT_EQ(users.protocol, Protocol::Http1);
  EXPECT_EQ(users.red.requests, 4000u);
  uint64_t errors = 0;
  for (int i = 0; i < 6000; ++i) errors += (i % 3 != 0 && i % 10 == 1);
  EXPECT_EQ(users.red.errors, errors);
  EXPECT_DOUBLE_EQ(users.red.error_rate, static_cast<double>(errors) / 4000.0);
  for (auto [q, got] :
       {std::pair{0.5, users.red.p50_ms}, {0.95, users.red.p95_ms}, {0.99, users.red.p99_ms}}) {
    double exact = exact_p(users_ms, q);
    EXPECT_NEAR(got, exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_TRUE(store->endpoints(std::string("nope"), range).empty());
  EXPECT_EQ(store->stats().records_stored, 6000u);
  EXPECT_GT(store->stats().store_size_bytes, 0u);
}

TEST(SqliteStore, LatencyBucketsPerStep) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  std::vector<Record> batch;
  // Minute m holds m+1 requests of (m+1) * 10 ms, for m = 0..4.
  for (uint64_t m = 0; m < 5; ++m)
    for (uint64_t k = 0; k <= m; ++k)
      batch.push_back(http(kT0 + m * 60 * kSec + k * kSec, (m + 1) * 10 * kMs, "/a", 200));
  batch.push_back(http(kT0, 999 * kMs, "/b", 200));  // another route: excluded
  pipe.write(batch);

  LatencyQuery q;
  q.service = "api:8000";
  q.route = "/a";
  q.quantile = 0.5;
  q.step_s = 60;
  q.range = {kT0, kT0 + 6 * 60 * kSec};
  auto points = store->latency(q);
  ASSERT_EQ(points.size(), 6u);  // 6 minutes, the last one empty
  for (uint64_t m = 0; m < 5; ++m) {
    EXPECT_EQ(points[m].t, kT0 / kSec + m * 60);
    EXPECT_EQ(points[m].count, m + 1);
    EXPECT_NEAR(points[m].value_ms, (m + 1) * 10.0, (m + 1) * 0.1);
  }
  EXPECT_EQ(points[5].count, 0u);

  q.step_s = 120;
  q.quantile = 1.0;
  points = store->latency(q);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].count, 3u);  // minutes 0 and 1
  EXPECT_NEAR(points[0].value_ms, 20.0, 0.2);
  EXPECT_EQ(points[2].count, 5u);
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
  auto services = store->services(range);
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

TEST(SqliteStore, UnknownRoleRecordsStillListTheirService) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store);
  Record r = http(kT0, kMs, "/x", 200);
  r.role = Role::Unknown;
  pipe.write({r});
  auto services = store->services({kT0, kT0 + 60 * kSec});
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
  r.namespace_ = "shop";
  r.pod = "api-7d9";
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
  EXPECT_EQ(back.namespace_, "shop");
  EXPECT_EQ(back.pod, "api-7d9");
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
  auto services = store->services(lq.range);
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
  auto services = store->services({kT0, kT0 + 60 * kSec});
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[1].name, "loupe");
  EXPECT_EQ(services[1].kind, "loupe");
  EXPECT_EQ(services[1].red.requests, 1u);
  EXPECT_EQ(services[0].name, "external:127.0.0.1:9999");  // no Host header: the address
}

TEST(SqliteStore, LoupesOwnTrafficIsLeftOutOfRequestsUnlessAsked) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*store, {.resolve = {.self_port = 8080}});
  Record ui = http(kT0, kMs, "/api/v1/services", 200, Role::Client);
  ui.comm = "chromium";
  ui.remote_addr = "127.0.0.1:8080";
  // A `loupe server` traced by a separate agent: the ingest it serves.
  Record ingest = http(kT0 + kMs, kMs, "/api/v1/ingest", 200);
  ingest.comm = "loupe";
  ingest.local_addr = "127.0.0.1:8080";
  // Another process on the same port (in a pod's network namespace) is the user's.
  Record app = http(kT0 + 2 * kMs, kMs, "/users", 200);
  app.local_addr = "10.0.0.5:8080";
  pipe.write({ui, ingest, app});
  RequestQuery q;
  q.range = {kT0, kT0 + 60 * kSec};
  auto shown = store->requests(q);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].service, "api:8080");
  EXPECT_EQ(store->count_requests(q, 100), 1u);
  q.with_self = true;
  EXPECT_EQ(store->requests(q).size(), 3u);
  EXPECT_EQ(store->count_requests(q, 100), 3u);
  q.with_self = false;
  q.service = "loupe";  // named: shown
  auto own = store->requests(q);
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].record.path, "/api/v1/ingest");
  auto services = store->services(q.range);
  auto loupe = std::find_if(services.begin(), services.end(),
                            [](const auto& s) { return s.name == "loupe"; });
  ASSERT_NE(loupe, services.end());
  EXPECT_EQ(loupe->kind, "loupe");
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
