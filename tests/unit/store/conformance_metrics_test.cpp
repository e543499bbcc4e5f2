// Conformance: metrics (raw samples, per-minute answers, counters, gauges,
// ratios, workloads as sums of their pods, labels, series, skipped samples,
// a batch sent twice, and the raw and per-minute retention) give the same
// answers from every backend.
#include <cmath>

#include "conformance.h"

namespace loupe::store::testing {
namespace {

using MetricConformance = StoreConformance;

MetricSample sample(uint64_t t_ns, const std::string& entity, const std::string& name,
                    const std::string& metric, double value, const std::string& workload = "",
                    const std::string& label = "") {
  MetricSample s;
  s.time_ns = t_ns;
  s.entity = entity;
  s.name = name;
  s.metric = metric;
  s.value = value;
  s.workload = workload;
  s.label = label;
  return s;
}

MetricQuery query(const std::string& entity, const std::string& name, const std::string& metric,
                  uint64_t step_s, uint64_t minutes = 2) {
  MetricQuery q;
  q.entity = entity;
  q.name = name;
  q.metric = metric;
  q.step_s = step_s;
  q.range = {kT0, kT0 + minutes * 60 * kSec};
  return q;
}

TEST_P(MetricConformance, RawSamplesAndMinuteRollupsAgree) {
  std::vector<MetricSample> batch;
  for (int i = 0; i < 12; ++i)  // two minutes of 10 s samples: 1.0 then 3.0 cores
    batch.push_back(
        sample(kT0 + i * 10 * kSec, "pod", "shop/api-1", "cpu_usage_cores", i < 6 ? 1.0 : 3.0));
  store().write_metrics(batch);

  auto raw = store().metrics(query("pod", "shop/api-1", "cpu_usage_cores", 10));
  ASSERT_EQ(raw.size(), 12u);
  EXPECT_EQ(raw[0].t, kT0 / kSec);
  EXPECT_DOUBLE_EQ(raw[11].value, 3.0);

  auto minutes = store().metrics(query("pod", "shop/api-1", "cpu_usage_cores", 60));
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_DOUBLE_EQ(minutes[0].value, 1.0);  // a gauge is the mean
  EXPECT_DOUBLE_EQ(minutes[1].value, 3.0);
  auto both = store().metrics(query("pod", "shop/api-1", "cpu_usage_cores", 120));
  ASSERT_EQ(both.size(), 1u);
  EXPECT_DOUBLE_EQ(both[0].value, 2.0);
}

TEST_P(MetricConformance, CountersSumRatiosDivideAndWorkloadsSumTheirPods) {
  std::vector<MetricSample> batch;
  for (int i = 0; i < 6; ++i) {
    uint64_t t = kT0 + i * 10 * kSec;
    for (const char* pod : {"shop/api-1", "shop/api-2"}) {
      batch.push_back(sample(t, "pod", pod, "cpu_periods", 100, "shop/Deployment/api"));
      batch.push_back(sample(t, "pod", pod, "cpu_throttled_periods",
                             pod == std::string("shop/api-1") ? 80 : 20, "shop/Deployment/api"));
      batch.push_back(
          sample(t, "pod", pod, "memory_working_set_bytes", 1000, "shop/Deployment/api"));
    }
  }
  batch.push_back(
      sample(kT0 + 30 * kSec, "pod", "shop/api-1", "oom_kills", 1, "shop/Deployment/api"));
  store().write_metrics(batch);
  store().write_metrics(batch);  // a retried batch is stored once

  auto ratio = store().metrics(query("pod", "shop/api-1", "cpu_throttled_ratio", 60, 1));
  ASSERT_EQ(ratio.size(), 1u);
  EXPECT_DOUBLE_EQ(ratio[0].value, 0.8);
  auto wl_ratio =
      store().metrics(query("workload", "shop/Deployment/api", "cpu_throttled_ratio", 60, 1));
  ASSERT_EQ(wl_ratio.size(), 1u);
  EXPECT_DOUBLE_EQ(wl_ratio[0].value, 0.5);
  auto wl_mem =
      store().metrics(query("workload", "shop/Deployment/api", "memory_working_set_bytes", 60, 1));
  ASSERT_EQ(wl_mem.size(), 1u);
  EXPECT_DOUBLE_EQ(wl_mem[0].value, 2000);
  auto ooms = store().metrics(query("pod", "shop/api-1", "oom_kills", 60, 1));
  ASSERT_EQ(ooms.size(), 1u);
  EXPECT_DOUBLE_EQ(ooms[0].value, 1);

  auto series = store().metric_series({.entity = "pod", .name = "shop/api-2", .workload = {}});
  EXPECT_EQ(series.size(), 3u);
}

TEST_P(MetricConformance, LabelsSelectOrSumAndBadSamplesAreSkipped) {
  store().write_metrics({sample(kT0, "node", "n1", "node_cpu_cores", 1.5, "", "user"),
                         sample(kT0, "node", "n1", "node_cpu_cores", 0.5, "", "system"),
                         sample(kT0, "node", "n1", "no_such_metric", 1),
                         sample(kT0, "node", "", "node_load1", 1),
                         sample(kT0, "node", "n1", "cpu_throttled_ratio", 1),
                         sample(kT0, "workload", "shop/Deployment/api", "cpu_usage_cores", 1),
                         sample(kT0, "node", "n1", "node_load1", std::nan(""))});
  auto all = store().metrics(query("node", "n1", "node_cpu_cores", 60, 1));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_DOUBLE_EQ(all[0].value, 2.0);
  auto q = query("node", "n1", "node_cpu_cores", 60, 1);
  q.label = "user";
  EXPECT_DOUBLE_EQ(store().metrics(q).at(0).value, 1.5);
  EXPECT_EQ(store().stats().metric_samples_skipped, 5u);
}

TEST_P(MetricConformance, RawSamplesExpireBeforeRollups) {
  reopen({.retention_ns = 24 * 3600 * kSec, .metrics_raw_retention_ns = 3600 * kSec});
  store().write_metrics({sample(kT0, "pod", "p", "cpu_usage_cores", 1)});
  store().enforce_retention(kT0 + 2 * 3600 * kSec);
  EXPECT_TRUE(store().metrics(query("pod", "p", "cpu_usage_cores", 10)).empty());
  EXPECT_EQ(store().metrics(query("pod", "p", "cpu_usage_cores", 60)).size(), 1u);
  store().enforce_retention(kT0 + 25 * 3600 * kSec);
  EXPECT_TRUE(store().metrics(query("pod", "p", "cpu_usage_cores", 60)).empty());
  EXPECT_TRUE(store().metric_series({}).empty()) << "a series without samples goes too";
  store().write_metrics({sample(kT0 + 25 * 3600 * kSec, "pod", "p", "cpu_usage_cores", 2)});
  EXPECT_EQ(store().metric_series({}).size(), 1u) << "and comes back with a new sample";
}

TEST_P(MetricConformance, UnalignedRangesStepsAndLateWorkloads) {
  // Samples every 10 s for 3 minutes; the pod learns its workload in the second minute.
  std::vector<MetricSample> batch;
  for (int i = 0; i < 18; ++i)
    batch.push_back(sample(kT0 + i * 10 * kSec, "pod", "shop/web-1", "cpu_usage_cores", i,
                           i < 6 ? "" : "shop/Deployment/web"));
  store().write_metrics(batch);
  // A range starting mid-minute leaves that minute out of per-minute answers...
  auto q = query("pod", "shop/web-1", "cpu_usage_cores", 60, 3);
  q.range.from_ns += 30 * kSec;
  auto minutes = store().metrics(q);
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[0].t, kT0 / kSec + 60);
  EXPECT_DOUBLE_EQ(minutes[0].value, 8.5);  // mean of 6..11
  // ...but not out of raw ones.
  q.step_s = 30;
  auto raw = store().metrics(q);
  ASSERT_EQ(raw.size(), 5u);
  EXPECT_EQ(raw[0].t, kT0 / kSec + 30);
  EXPECT_DOUBLE_EQ(raw[0].value, 4.0);  // mean of 3, 4, 5
  // The workload a series learnt late holds its earlier samples too.
  auto wl = store().metrics(query("workload", "shop/Deployment/web", "cpu_usage_cores", 180, 3));
  ASSERT_EQ(wl.size(), 1u);
  EXPECT_DOUBLE_EQ(wl[0].value, 8.5);
  auto series =
      store().metric_series({.entity = {}, .name = {}, .workload = "shop/Deployment/web"});
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].name, "shop/web-1");
  EXPECT_EQ(series[0].workload, "shop/Deployment/web");
  EXPECT_TRUE(store().metrics(query("pod", "shop/web-2", "cpu_usage_cores", 60, 3)).empty());
  EXPECT_TRUE(store().metrics(query("pod", "shop/web-1", "no_such_metric", 60, 3)).empty());
}

TEST_P(MetricConformance, SamplesOutliveARestart) {
  store().write_metrics({sample(kT0, "node", "n1", "node_load1", 2.5)});
  reopen();
  auto points = store().metrics(query("node", "n1", "node_load1", 60, 1));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_DOUBLE_EQ(points[0].value, 2.5);
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
