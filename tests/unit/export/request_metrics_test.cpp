#include "export/request_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "export/latency_buckets.h"
#include "pipeline/label_sets.h"
#include "store/sketch.h"

namespace loupe::exporting {
namespace {

Record http_record(Role role, uint64_t duration_ns, int status = 200,
                   std::string route = "/users/{id}") {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.start_ns = 1'000'000'000;
  r.end_ns = r.start_ns + duration_ns;
  r.method = "GET";
  r.route = std::move(route);
  r.status = status;
  r.error = status >= 500;
  return r;
}

void observe(RequestMetrics& m, const Record& r, std::string service = "web:80",
             bool counted = true, std::string caller = "curl") {
  store::ServiceIdentity id{.name = std::move(service), .kind = "process", .counted = counted};
  m.observe({r, id, caller, r.route});
}

std::string scrape(const RequestMetrics& m) {
  ExpositionWriter w(ExpositionFormat::PrometheusText);
  m.write(w);
  return w.finish();
}

// Prometheus' histogram_quantile(): the bucket holding rank q*count, linear
// interpolation inside it (the first bucket starts at 0).
double histogram_quantile(double q, std::span<const double> bounds,
                          const std::vector<uint64_t>& cumulative, uint64_t count) {
  double rank = q * static_cast<double>(count);
  size_t b = 0;
  while (b < bounds.size() && static_cast<double>(cumulative[b]) < rank) ++b;
  if (b == bounds.size()) return bounds.back();
  double lower = b == 0 ? 0 : bounds[b - 1];
  double below = b == 0 ? 0 : static_cast<double>(cumulative[b - 1]);
  double in_bucket = static_cast<double>(cumulative[b]) - below;
  return lower + (bounds[b] - lower) * (rank - below) / in_bucket;
}

TEST(RequestMetrics, ServerHistogramHasSemanticConventionLabels) {
  RequestMetrics m;
  observe(m, http_record(Role::Server, 3'000'000));
  observe(m, http_record(Role::Server, 5'000'000, 503));
  std::string text = scrape(m);
  EXPECT_NE(text.find("# TYPE http_server_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("http_server_request_duration_seconds_count{service_name=\"web:80\","
                      "http_request_method=\"GET\",http_route=\"/users/{id}\","
                      "http_response_status_class=\"2xx\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("http_response_status_class=\"5xx\"} 1"), std::string::npos);
  EXPECT_NE(text.find("loupe_requests_total{service_name=\"web:80\",protocol=\"http1\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("loupe_request_errors_total{service_name=\"web:80\",protocol=\"http1\"} 1"),
            std::string::npos);
}

TEST(RequestMetrics, WorkloadsGetKubernetesLabelsForTheAutoscaler) {
  RequestMetrics m;
  Record r = http_record(Role::Server, 1'000'000);
  store::ServiceIdentity id{.name = "shop/Deployment/api", .kind = "workload"};
  m.observe({r, id, "", r.route});
  std::string text = scrape(m);
  EXPECT_NE(text.find("http_server_request_duration_seconds_count{service_name=\"shop/Deployment/"
                      "api\",k8s_namespace_name=\"shop\",k8s_deployment_name=\"api\","
                      "http_request_method=\"GET\""),
            std::string::npos)
      << text;
}

TEST(RequestMetrics, ClientSideNamesCallerAndCallee) {
  RequestMetrics m;
  observe(m, http_record(Role::Client, 1'000'000), "api:9000", false, "web:8000");
  std::string text = scrape(m);
  EXPECT_NE(text.find("http_client_request_duration_seconds_count{service_name=\"web:8000\","
                      "server_address=\"api:9000\",http_request_method=\"GET\""),
            std::string::npos)
      << text;
  // Not counted: the server side counts this exchange in RED.
  EXPECT_EQ(text.find("loupe_requests_total{"), std::string::npos);
}

TEST(RequestMetrics, DatabaseOperationsOncePerExchange) {
  RequestMetrics m;
  Record q;
  q.protocol = Protocol::Postgres;
  q.role = Role::Client;
  q.start_ns = 1;
  q.end_ns = 2'000'001;
  q.method = "SELECT";
  q.route = "SELECT * FROM t WHERE id = ?";
  observe(m, q, "postgres:5432", true, "api:9000");
  observe(m, q, "postgres:5432", false, "api:9000");  // the other side, already counted
  q.error = true;
  q.error_code = "42P01";
  observe(m, q, "postgres:5432", true, "api:9000");
  std::string text = scrape(m);
  EXPECT_NE(text.find("db_client_operation_duration_seconds_count{service_name=\"api:9000\","
                      "server_address=\"postgres:5432\",db_system_name=\"postgresql\","
                      "db_operation_name=\"SELECT\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("db_operation_name=\"SELECT\",error_type=\"42P01\"} 1"), std::string::npos);
}

TEST(RequestMetrics, LabelValuesFromTheWireAreEscaped) {
  RequestMetrics m;
  observe(m, http_record(Role::Server, 1000, 200, "/a\"b\nc\\d\xff"));
  std::string text = scrape(m);
  EXPECT_NE(text.find("http_route=\"/a\\\"b\\nc\\\\d\xEF\xBF\xBD\""), std::string::npos) << text;
  // Every line is a comment or a sample: no raw newline split a label.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.starts_with("#") || line.find("} ") != std::string::npos ||
                line.starts_with("loupe_metrics_series_folded_total "))
        << line;
}

TEST(RequestMetrics, SeriesPastTheCapFoldIntoOther) {
  RequestMetrics m({.max_series = 3});
  for (int i = 0; i < 50; ++i)
    observe(m, http_record(Role::Server, 1000, 200, "/r" + std::to_string(i)));
  // Two /rN series + the RED series fill the cap; the rest fold.
  EXPECT_LE(m.series(), 5u);  // the cap, plus one {other} per family at most
  EXPECT_EQ(m.folded(), 48u);
  std::string text = scrape(m);
  EXPECT_NE(text.find("http_server_request_duration_seconds_count{service_name=\"{other}\","
                      "k8s_namespace_name=\"{other}\",k8s_deployment_name=\"{other}\","
                      "k8s_statefulset_name=\"{other}\",http_request_method=\"{other}\","
                      "http_route=\"{other}\",http_response_status_class=\"{other}\"} 48"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("loupe_requests_total{service_name=\"web:80\",protocol=\"http1\"} 50"),
            std::string::npos);
}

// What the pipeline calls: a committed batch observed whole (one lock per
// slice of rows) counts every row as observing them one by one does, in
// the rows' order (the series cap folds the same ones).
TEST(RequestMetrics, ABatchCountsAsItsRowsOneByOne) {
  std::vector<Record> records;
  for (int i = 0; i < 9000; ++i) {  // more than one slice
    Role role = i % 3 == 0 ? Role::Client : Role::Server;
    records.push_back(http_record(role, 1000 + static_cast<uint64_t>(i) * 7919 % 5'000'000,
                                  i % 11 == 0 ? 503 : 200, "/r" + std::to_string(i % 40)));
  }
  store::ResolvedBatch batch;
  batch.records = records;
  for (uint32_t i = 0; i < records.size(); ++i) {
    store::ResolvedRecord row;
    row.index = static_cast<uint32_t>(records.size()) - 1 - i;  // not in index order
    row.service = &batch.services.emplace_back(
        store::ServiceIdentity{.name = i % 5 == 0 ? "api:81" : "web:80",
                               .kind = "process",
                               .counted = records[row.index].role == Role::Server});
    row.caller =
        &batch.callers.emplace_back(store::CallerIdentity{.stable_name = i % 2 ? "curl" : "wrk"});
    row.route = records[row.index].route;
    batch.rows.push_back(row);
  }
  RequestMetrics whole({.max_series = 60}), one_by_one({.max_series = 60});
  whole.observe_batch(batch);
  for (const store::ResolvedRecord& row : batch.rows)
    one_by_one.observe({records[row.index], *row.service, row.caller->stable_name, row.route});
  EXPECT_GT(whole.folded(), 0u) << "the cap is reached, so the order matters";
  EXPECT_EQ(whole.folded(), one_by_one.folded());
  EXPECT_EQ(whole.series(), one_by_one.series());
  EXPECT_EQ(scrape(whole), scrape(one_by_one));
}

// Rows of a label set seen before in the batch (ResolvedRecord::labels:
// the same service, caller, method, route, status class and error) count
// in its series without a lookup: still as one by one, past the series
// cap too (a folded lookup is made again for every row, so `folded`
// counts the same). Rows of no known set (0) are looked up every time.
TEST(RequestMetrics, RowsOfALabelSetCountAsOneByOne) {
  std::vector<Record> records;
  for (int i = 0; i < 9000; ++i) {
    Role role = (i / 2) % 3 == 0 ? Role::Client : Role::Server;
    int status = (i / 5) % 11 == 0 ? 503 : (i / 7) % 9 == 0 ? 404 : 200;
    records.push_back(http_record(role, 1000 + static_cast<uint64_t>(i) * 7919 % 5'000'000, status,
                                  "/r" + std::to_string((i / 3) % 40)));
    if ((i / 4) % 6 == 0) records.back().method = "POST";
    if (status == 503 && i % 2) records.back().error_code = "E" + std::to_string(i % 3);
  }
  store::ResolvedBatch batch;
  batch.records = records;
  pipeline::LabelSets sets;
  for (uint32_t i = 0; i < records.size(); ++i) {
    store::ResolvedRecord row;
    row.index = i;
    store::ServiceIdentity service{.name = (i / 4) % 5 == 0 ? "api:81" : "web:80",
                                   .kind = (i / 8) % 7 == 0 ? "workload" : "process",
                                   .counted = records[i].role == Role::Server || (i / 9) % 2 == 0};
    store::CallerIdentity caller{.stable_name = (i / 6) % 2 ? "curl" : "wrk"};
    // Every other row shares the row before's identities when they say the
    // same (as the rows of one connection do), the others have their own
    // copies: labels are the same either way.
    const store::ResolvedRecord* last = batch.rows.empty() ? nullptr : &batch.rows.back();
    bool share = last && i % 2;
    row.service = share && last->service->name == service.name &&
                          last->service->kind == service.kind &&
                          last->service->counted == service.counted
                      ? last->service
                      : &batch.services.emplace_back(service);
    row.caller = share && last->caller->stable_name == caller.stable_name
                     ? last->caller
                     : &batch.callers.emplace_back(caller);
    row.route = records[i].route;
    // As the resolver gives them; every tenth row of none.
    row.labels = i % 10 == 3 ? 0 : sets.id(row, records[i]);
    batch.rows.push_back(row);
  }
  batch.label_sets = sets.count();
  ASSERT_GT(batch.label_sets, 40u);
  for (size_t cap : {size_t{60}, size_t{2000}}) {
    RequestMetrics whole({.max_series = cap}), one_by_one({.max_series = cap});
    whole.observe_batch(batch);
    for (const store::ResolvedRecord& row : batch.rows)
      one_by_one.observe({records[row.index], *row.service, row.caller->stable_name, row.route});
    EXPECT_EQ(whole.folded(), one_by_one.folded()) << "cap " << cap;
    EXPECT_EQ(whole.series(), one_by_one.series()) << "cap " << cap;
    EXPECT_EQ(scrape(whole), scrape(one_by_one)) << "cap " << cap;
    if (cap == 60) {
      EXPECT_GT(whole.folded(), 0u) << "a cap below the label sets folds some";
    }
  }
}

TEST(LatencyBuckets, BoundsAreInclusiveAndGeometric) {
  auto b = latency_bucket_bounds();
  ASSERT_EQ(b.size(), 161u);
  EXPECT_DOUBLE_EQ(b.front(), std::exp2(-14));
  EXPECT_DOUBLE_EQ(b.back(), 64);
  EXPECT_EQ(latency_bucket_index(b[10]), 10u);  // le is "less or equal"
  EXPECT_EQ(latency_bucket_index(b[10] * 1.0001), 11u);
  EXPECT_EQ(latency_bucket_index(0), 0u);
  EXPECT_EQ(latency_bucket_index(1000), b.size());
  // The first bound >= the value, as a search over the bounds finds it: at,
  // just below and just above every bound, and between them.
  auto searched = [&](double s) {
    return static_cast<size_t>(std::lower_bound(b.begin(), b.end(), s) - b.begin());
  };
  for (double bound : b)
    for (double s : {bound, std::nextafter(bound, 0.0), std::nextafter(bound, 1e9), bound * 1.03,
                     bound * 0.97})
      EXPECT_EQ(latency_bucket_index(s), searched(s)) << s;
  for (double s = 1e-9; s < 200; s *= 1.0137) EXPECT_EQ(latency_bucket_index(s), searched(s)) << s;
  EXPECT_EQ(latency_bucket_index(-1), 0u);
  EXPECT_EQ(latency_bucket_index(std::nan("")), searched(std::nan("")));
  for (size_t i = 1; i < b.size(); ++i) EXPECT_NEAR(b[i] / b[i - 1], std::exp2(0.125), 1e-12);
}

// The promise of docs/export.md: histogram_quantile(0.95) within 10% of
// Loupe's own p95, for narrow and for wide distributions.
TEST(LatencyBuckets, HistogramQuantileLandsWithinTenPercentOfTheSketch) {
  std::mt19937_64 rng(7);
  auto bounds = latency_bucket_bounds();
  struct Shape {
    double median_s, sigma;
  };
  for (Shape shape : {Shape{0.0003, 0.05}, Shape{0.002, 0.3}, Shape{0.05, 1.0}, Shape{0.8, 0.02},
                      Shape{0.00007, 0.1}}) {
    std::lognormal_distribution<double> dist(std::log(shape.median_s), shape.sigma);
    std::vector<uint64_t> per_bucket(bounds.size() + 1);
    store::Sketch sketch;
    const uint64_t n = 20'000;
    for (uint64_t i = 0; i < n; ++i) {
      double s = dist(rng);
      ++per_bucket[latency_bucket_index(s)];
      sketch.add(s * 1e9);
    }
    std::vector<uint64_t> cumulative(bounds.size());
    uint64_t running = 0;
    for (size_t i = 0; i < bounds.size(); ++i) cumulative[i] = running += per_bucket[i];
    double estimate = histogram_quantile(0.95, bounds, cumulative, n);
    double loupe_p95 = sketch.quantile(0.95) / 1e9;
    EXPECT_NEAR(estimate / loupe_p95, 1.0, 0.10)
        << "median " << shape.median_s << " sigma " << shape.sigma;
  }
}

}  // namespace
}  // namespace loupe::exporting
