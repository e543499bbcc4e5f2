// Conformance: what the per-minute rollups answer (services, endpoints,
// latency, the map, workloads and pods) and their retention. Fixtures from
// sqlite_store_test.cpp and map_test.cpp.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "conformance.h"

namespace loupe::store::testing {
namespace {

using RollupConformance = StoreConformance;

double exact_p(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::max<size_t>(1, static_cast<size_t>(std::ceil(q * v.size()))) - 1];
}

std::map<std::pair<std::string, std::string>, MapEdge> by_pair(const std::vector<MapEdge>& v) {
  std::map<std::pair<std::string, std::string>, MapEdge> out;
  for (const auto& e : v) out[{e.caller, e.callee}] = e;
  return out;
}

TEST_P(RollupConformance, RedCountsErrorRatesAndQuantiles) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(3e6), 0.8);
  std::vector<Record> batch;
  std::vector<double> users_ms;
  uint64_t errors = 0;
  for (int i = 0; i < 6000; ++i) {
    bool users = i % 3 != 0;
    uint64_t d = static_cast<uint64_t>(lat(rng));
    int status = users && i % 10 == 1 ? 500 : 200;
    errors += status == 500;
    batch.push_back(served(kT0 + static_cast<uint64_t>(i) * 100 * kMs, d,
                           users ? "/users/{id}" : "/health", status));
    if (users) users_ms.push_back(static_cast<double>(d) / 1e6);
  }
  // In two writes, so minutes are made of more than one write's cells.
  write(std::vector<Record>(batch.begin(), batch.begin() + 2500));
  write(std::vector<Record>(batch.begin() + 2500, batch.end()));
  TimeRange range{kT0, kT0 + 600 * kSec};

  auto services = store().services({.range = range});
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "api:8000");
  EXPECT_EQ(services[0].kind, "process");
  EXPECT_EQ(services[0].ports, std::vector<uint16_t>{8000});
  EXPECT_EQ(services[0].red.requests, 6000u);
  EXPECT_EQ(services[0].red.errors, errors);
  EXPECT_DOUBLE_EQ(services[0].red.rate_per_s, 10.0);
  EXPECT_DOUBLE_EQ(services[0].red.active_s, 600.0);

  auto eps = store().endpoints(std::string("api:8000"), range);
  ASSERT_EQ(eps.size(), 2u);
  const auto& users = eps[1].route == "/users/{id}" ? eps[1] : eps[0];
  EXPECT_EQ(users.method, "GET");
  EXPECT_EQ(users.protocol, Protocol::Http1);
  EXPECT_EQ(users.red.requests, 4000u);
  EXPECT_EQ(users.red.errors, errors);
  EXPECT_EQ(users.latency.count(), 4000u);
  for (auto [q, got] :
       {std::pair{0.5, users.red.p50_ms}, {0.95, users.red.p95_ms}, {0.99, users.red.p99_ms}}) {
    double exact = exact_p(users_ms, q);
    EXPECT_NEAR(got, exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(store().endpoints(std::nullopt, range).size(), 2u);
  EXPECT_TRUE(store().endpoints(std::string("nope"), range).empty());
}

TEST_P(RollupConformance, LatencyBucketsPerStep) {
  std::vector<Record> batch;
  // Minute m holds m+1 requests of (m+1) * 10 ms, for m = 0..4; the first one fails.
  for (uint64_t m = 0; m < 5; ++m)
    for (uint64_t k = 0; k <= m; ++k)
      batch.push_back(
          served(kT0 + m * 60 * kSec + k * kSec, (m + 1) * 10 * kMs, "/a", m == 0 ? 503 : 200));
  batch.push_back(served(kT0, 999 * kMs, "/b"));  // another route: excluded
  write(batch);

  LatencyQuery q;
  q.service = "api:8000";
  q.route = "/a";
  q.quantile = 0.5;
  q.step_s = 60;
  q.range = {kT0, kT0 + 6 * 60 * kSec};
  auto points = store().latency(q);
  ASSERT_EQ(points.size(), 6u);  // 6 minutes, the last one empty
  for (uint64_t m = 0; m < 5; ++m) {
    EXPECT_EQ(points[m].t, kT0 / kSec + m * 60);
    EXPECT_EQ(points[m].count, m + 1);
    EXPECT_NEAR(points[m].value_ms, (m + 1) * 10.0, (m + 1) * 0.1);
  }
  EXPECT_EQ(points[0].errors, 1u);
  EXPECT_EQ(points[5].count, 0u);
  EXPECT_EQ(points[5].value_ms, 0);

  q.step_s = 120;  // minutes 0-1, 2-3, 4-5
  q.quantile = 1.0;
  auto coarse = store().latency(q);
  ASSERT_EQ(coarse.size(), 3u);
  EXPECT_EQ(coarse[0].count, 3u);  // minutes 0 and 1
  EXPECT_NEAR(coarse[0].value_ms, 20.0, 0.2);
  EXPECT_NEAR(coarse[1].value_ms, 40.0, 0.4);
  EXPECT_EQ(coarse[2].count, 5u);
  q.route.reset();
  q.method = "GET";
  EXPECT_EQ(store().latency(q)[0].count, 4u) << "every route";
  q.method = "POST";
  EXPECT_EQ(store().latency(q)[0].count, 0u);
}

// The overview's sparklines: every service's buckets, as latency() gives
// them, from the one services() call.
TEST_P(RollupConformance, ServicesWithSeriesMatchLatencyPerService) {
  std::vector<Record> batch;
  for (uint64_t m = 0; m < 4; ++m)
    for (uint64_t k = 0; k <= m; ++k)
      batch.push_back(
          served(kT0 + m * 60 * kSec + k * kSec, (m + 1) * 10 * kMs, "/a", k == 0 ? 500 : 200));
  batch.push_back(exchange(Role::Server, 7, "db", "127.0.0.1:5432", "127.0.0.1:50001", kT0, 3 * kMs,
                           "/q", 200));
  write(batch);

  ServicesQuery q{.range = {kT0, kT0 + 6 * 60 * kSec}, .series = ServiceSeries{120, 0.5}};
  auto services = store().services(q);
  ASSERT_EQ(services.size(), 2u);
  for (const auto& s : services) {
    LatencyQuery lq{.service = s.name, .quantile = 0.5, .step_s = 120, .range = q.range};
    auto want = store().latency(lq);
    ASSERT_EQ(s.series.size(), want.size()) << s.name;
    ASSERT_EQ(s.series.size(), 3u) << s.name;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(s.series[i].t, want[i].t);
      EXPECT_EQ(s.series[i].count, want[i].count);
      EXPECT_EQ(s.series[i].errors, want[i].errors);
      EXPECT_DOUBLE_EQ(s.series[i].value_ms, want[i].value_ms);
    }
  }
  const auto& api = services[0].name == "api:8000" ? services[0] : services[1];
  EXPECT_EQ(api.series[0].count, 3u);  // minutes 0 and 1
  EXPECT_EQ(api.series[1].errors, 2u);
  EXPECT_EQ(api.series[2].count, 0u);
  EXPECT_TRUE(store().services({.range = q.range})[0].series.empty()) << "only when asked";
}

TEST_P(RollupConformance, BareHostMap) {
  std::vector<Record> b;
  uint64_t t = kT0 + 5 * kSec;
  // api serves on 9000 (pid 30); web serves on 8000 (pid 10) and calls api.
  for (int i = 0; i < 4; ++i) {
    b.push_back(exchange(Role::Server, 30, "api", "127.0.0.1:9000", "127.0.0.1:40000", t, 5 * kMs,
                         "/x", i == 0 ? 500 : 200));
    b.push_back(exchange(Role::Client, 10, "web", "127.0.0.1:40000", "127.0.0.1:9000", t, 6 * kMs,
                         "/x", i == 0 ? 500 : 200));
  }
  b.push_back(exchange(Role::Server, 10, "web", "127.0.0.1:8000", "127.0.0.1:41000", t, 20 * kMs));
  b.push_back(exchange(Role::Client, 20, "curl", "127.0.0.1:41000", "127.0.0.1:8000", t, 21 * kMs));
  b.push_back(exchange(Role::Server, 10, "web", "127.0.0.1:8000", "203.0.113.5:5555", t, 9 * kMs));
  Record ext = exchange(Role::Client, 10, "web", "10.0.0.2:42000", "198.51.100.7:443", t, 80 * kMs);
  ext.host = "api.stripe.com";
  b.push_back(ext);
  write(b);

  auto edges = by_pair(store().map(kHour));
  ASSERT_EQ(edges.size(), 4u);
  const auto& web_api = edges.at({"web:8000", "api:9000"});
  EXPECT_EQ(web_api.red.requests, 4u);
  EXPECT_EQ(web_api.red.errors, 1u);
  EXPECT_EQ(web_api.caller_kind, "process");
  EXPECT_EQ(web_api.callee_kind, "process");
  EXPECT_NEAR(web_api.red.p95_ms, 6.0, 0.1);
  EXPECT_NEAR(web_api.red.rate_per_s, 4.0 / 3600, 1e-9);
  EXPECT_EQ(edges.at({"curl (pid 20)", "web:8000"}).red.requests, 1u);
  EXPECT_EQ(edges.at({"external:203.0.113.5", "web:8000"}).caller_kind, "external");
  const auto& ext_out = edges.at({"web:8000", "external:api.stripe.com"});
  EXPECT_EQ(ext_out.callee_kind, "external");
  EXPECT_EQ(ext_out.protocols, std::vector<Protocol>{Protocol::Http1});
  EXPECT_TRUE(store().map({kT0 + 3600 * kSec, kT0 + 7200 * kSec}).empty());
}

TEST_P(RollupConformance, KubernetesWorkloadsAndPods) {
  uint64_t t = kT0 + 5 * kSec;
  auto pod_side = [](Record r, const std::string& pod, const std::string& wl) {
    edit(r.local_identity).namespace_ = "shop";
    edit(r.local_identity).pod = pod;
    edit(r.local_identity).workload = wl;
    return r;
  };
  std::vector<Record> b;
  for (int i = 0; i < 3; ++i) {
    Record s = pod_side(exchange(Role::Server, 7, "python3", "10.244.1.10:8000",
                                 "10.244.2.20:51000", t, 4 * kMs, "/x", i == 0 ? 503 : 200),
                        "api-1", "Deployment/api");
    edit(s.remote_identity).namespace_ = "shop";
    edit(s.remote_identity).pod = "web-1";
    edit(s.remote_identity).workload = "Deployment/web";
    b.push_back(s);
    Record c = pod_side(exchange(Role::Client, 8, "curl", "10.244.2.20:51000", "10.96.0.10:80", t,
                                 5 * kMs, "/x", i == 0 ? 503 : 200),
                        "web-1", "Deployment/web");
    edit(c.remote_identity).namespace_ = "shop";
    edit(c.remote_identity).service = "api";
    edit(c.remote_identity).workload = "Deployment/api";
    b.push_back(c);
  }
  Record s2 = pod_side(
      exchange(Role::Server, 9, "python3", "10.244.1.11:8000", "10.244.2.20:51001", t, 4 * kMs),
      "api-2", "Deployment/api");
  edit(s2.remote_identity).namespace_ = "shop";
  edit(s2.remote_identity).workload = "Deployment/web";
  b.push_back(s2);
  write(b);

  auto edges = by_pair(store().map(kHour));
  ASSERT_EQ(edges.size(), 1u);
  const auto& e = edges.at({"shop/Deployment/web", "shop/Deployment/api"});
  EXPECT_EQ(e.red.requests, 4u);
  EXPECT_EQ(e.red.errors, 1u);
  EXPECT_EQ(e.caller_kind, "workload");
  EXPECT_EQ(e.callee_kind, "workload");

  auto wls = store().workloads(kHour);
  ASSERT_EQ(wls.size(), 1u);
  EXPECT_EQ(wls[0].name, "shop/Deployment/api");
  EXPECT_EQ(wls[0].namespace_, "shop");
  EXPECT_EQ(wls[0].workload, "Deployment/api");
  EXPECT_EQ(wls[0].red.requests, 4u);

  auto pods = store().pods(std::string("shop/Deployment/api"), kHour);
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].pod, "api-1");
  EXPECT_EQ(pods[0].red.requests, 3u);
  EXPECT_EQ(pods[0].red.errors, 1u);
  EXPECT_EQ(pods[1].pod, "api-2");
  EXPECT_EQ(pods[1].namespace_, "shop");
  EXPECT_EQ(pods[1].workload, "shop/Deployment/api");
  EXPECT_EQ(store().pods(std::nullopt, kHour).size(), 2u);
  EXPECT_TRUE(store().pods(std::string("shop/Deployment/nope"), kHour).empty());
}

// Every rollup answer over `range`, as text, to the last digit.
std::string rollup_answers(Store& store, const TimeRange& range) {
  std::ostringstream out;
  out.precision(17);
  auto red = [&out](const RedSummary& r) {
    out << " " << r.requests << " " << r.errors << " " << r.rate_per_s << " " << r.active_s << " "
        << r.p50_ms << " " << r.p95_ms << " " << r.p99_ms << "\n";
  };
  for (const auto& s : store.services({.range = range})) {
    out << "service " << s.name;
    red(s.red);
  }
  for (uint64_t step : {300, 3600}) {  // sparklines of steps within an hour, and of hours
    for (const auto& s : store.services({.range = range, .series = ServiceSeries{step, 0.95}}))
      for (const auto& p : s.series)
        out << "series " << s.name << " " << step << " " << p.t << " " << p.value_ms << " "
            << p.count << " " << p.errors << "\n";
  }
  for (const auto& e : store.endpoints(std::nullopt, range)) {
    out << "endpoint " << e.service << " " << e.method << " " << e.route;
    red(e.red);
  }
  for (const auto& e : store.map(range)) {
    out << "edge " << e.caller << " " << e.caller_kind << " " << e.callee << " " << e.callee_kind;
    red(e.red);
  }
  for (const auto& w : store.workloads(range)) {
    out << "workload " << w.name;
    red(w.red);
  }
  for (const auto& p : store.pods(std::nullopt, range)) {
    out << "pod " << p.pod;
    red(p.red);
  }
  LatencyQuery q;
  q.service = "api:8000";
  q.range = range;
  for (uint64_t step : {60, 3600}) {  // minutes, and whole hours
    q.step_s = step;
    for (double quantile : {0.5, 0.99}) {
      q.quantile = quantile;
      for (const auto& p : store.latency(q))
        out << "latency " << step << " " << p.t << " " << p.value_ms << " " << p.count << " "
            << p.errors << "\n";
    }
  }
  return out.str();
}

// Records in every minute of the two hours from kT0: 12 writes, so each
// key's minute is made of 12 cells until the finished hours are folded; the
// two routes take turns, so each is active in every other minute.
void write_two_busy_hours(const std::function<void(const std::vector<Record>&)>& write) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> lat(std::log(3e6), 0.9);
  for (int w = 0; w < 12; ++w) {
    std::vector<Record> batch;
    for (uint64_t m = 0; m < 120; ++m) {
      uint64_t time = kT0 + m * 60 * kSec + static_cast<uint64_t>(w) * kSec;
      auto d = [&] { return static_cast<uint64_t>(lat(rng)); };
      batch.push_back(served(time, d(), m % 2 ? "/users/{id}" : "/health", w == 3 ? 500 : 200));
      batch.push_back(
          exchange(Role::Server, 30, "db", "127.0.0.1:9000", "127.0.0.1:40000", time, d(), "/q"));
      batch.push_back(
          exchange(Role::Client, 42, "api", "127.0.0.1:40000", "127.0.0.1:9000", time, d(), "/q"));
      Record pod = exchange(Role::Server, 7, "python3", "10.244.1.10:8000", "10.244.2.20:51000",
                            time, d(), "/x");
      edit(pod.local_identity).namespace_ = "shop";
      edit(pod.local_identity).pod = w % 2 ? "web-1" : "web-2";
      edit(pod.local_identity).workload = "Deployment/web";
      batch.push_back(pod);
    }
    write(batch);
  }
}

TEST_P(RollupConformance, CompactionKeepsEveryAnswer) {
  write_two_busy_hours([this](const std::vector<Record>& batch) { write(batch); });
  // Whole hours, and a window cut inside both hours (part minutes, part hours).
  const TimeRange range{kT0, kT0 + 3 * 3600 * kSec};
  const TimeRange cut{kT0 + 1817 * kSec, kT0 + 7000 * kSec};
  const std::string before = rollup_answers(store(), range);
  const std::string cut_before = rollup_answers(store(), cut);
  const auto rows_before = backend().rollup_rows();
  // Both hours ended more than the compaction's grace before this "now".
  store().enforce_retention(kT0 + 3 * 3600 * kSec);
  EXPECT_EQ(rollup_answers(store(), range), before);
  EXPECT_EQ(rollup_answers(store(), cut), cut_before);
  if (rows_before) {  // a backend that keeps per-write cells folded them
    // Twelve writes: one row per key and minute left (and one per shard in
    // cluster mode, where each write goes whole to one shard).
    EXPECT_LT(*backend().rollup_rows(), *rows_before / 6 * backend().shards());
  }
  store().enforce_retention(kT0 + 3 * 3600 * kSec);  // again: nothing changes
  EXPECT_EQ(rollup_answers(store(), range), before);
  EXPECT_EQ(rollup_answers(store(), cut), cut_before);
}

TEST_P(RollupConformance, ARecordArrivingAfterItsHourWasFoldedCountsAtOnce) {
  write_two_busy_hours([this](const std::vector<Record>& batch) { write(batch); });
  const TimeRange range{kT0, kT0 + 3 * 3600 * kSec};
  store().enforce_retention(kT0 + 3 * 3600 * kSec);
  auto users = [&] {
    for (const auto& e : store().endpoints(std::string("api:8000"), range))
      if (e.route == "/users/{id}") return e.red;
    return RedSummary{};
  };
  const RedSummary folded = users();
  ASSERT_EQ(folded.requests, 12u * 60);
  EXPECT_DOUBLE_EQ(folded.active_s, 60.0 * 60);  // every other minute of two hours
  // Late, into the first hour's minute 10, which had only /health so far.
  write({served(kT0 + 600 * kSec + 5 * kSec, 4 * kMs, "/users/{id}", 500)});
  const std::string late = rollup_answers(store(), range);
  RedSummary now = users();
  EXPECT_EQ(now.requests, folded.requests + 1);
  EXPECT_EQ(now.errors, folded.errors + 1);
  EXPECT_DOUBLE_EQ(now.active_s, folded.active_s + 60);
  // Folded again: the same answers.
  store().enforce_retention(kT0 + 3 * 3600 * kSec);
  EXPECT_EQ(rollup_answers(store(), range), late);
}

TEST_P(RollupConformance, RetentionForgetsWholeDaysOfEverything) {
  write({served(kT0, kMs, "/old")});
  store().write_losses({{kT0 / kSec, 1, 0}});
  // Two days on, with an hour of retention: the day of kT0 is gone.
  uint64_t now = kT0 + 2 * 86400 * kSec;
  reopen({.retention_ns = 3600 * kSec});
  store().enforce_retention(now);
  TimeRange day{kT0 - 86400 * kSec, now};
  RequestQuery q;
  q.range = day;
  EXPECT_EQ(store().count_requests(q, 100), 0u);
  EXPECT_TRUE(store().services({.range = day}).empty() ||
              store().services({.range = day})[0].red.requests == 0);
  EXPECT_TRUE(store().endpoints(std::nullopt, day).empty());
  EXPECT_TRUE(store().map(day).empty());
  EXPECT_TRUE(store().losses(day).empty());
  EXPECT_TRUE(store().resolver_seed().routes.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, RollupConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
