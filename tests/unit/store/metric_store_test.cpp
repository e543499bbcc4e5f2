#include <gtest/gtest.h>

#include <cmath>

#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;  // a minute boundary

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

TEST(MetricStore, RawSamplesAndMinuteRollupsAgree) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  std::vector<MetricSample> batch;
  for (int i = 0; i < 12; ++i)  // two minutes of 10 s samples: 1.0 then 3.0 cores
    batch.push_back(
        sample(kT0 + i * 10 * kSec, "pod", "shop/api-1", "cpu_usage_cores", i < 6 ? 1.0 : 3.0));
  store->write_metrics(batch);

  auto raw = store->metrics(query("pod", "shop/api-1", "cpu_usage_cores", 10));
  ASSERT_EQ(raw.size(), 12u);
  EXPECT_EQ(raw[0].t, kT0 / kSec);
  EXPECT_DOUBLE_EQ(raw[11].value, 3.0);

  auto minutes = store->metrics(query("pod", "shop/api-1", "cpu_usage_cores", 60));
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_DOUBLE_EQ(minutes[0].value, 1.0);  // a gauge is the mean
  EXPECT_DOUBLE_EQ(minutes[1].value, 3.0);
  auto both = store->metrics(query("pod", "shop/api-1", "cpu_usage_cores", 120));
  ASSERT_EQ(both.size(), 1u);
  EXPECT_DOUBLE_EQ(both[0].value, 2.0);
}

TEST(MetricStore, CountersSumRatiosDivideAndWorkloadsSumTheirPods) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
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
  store->write_metrics(batch);
  store->write_metrics(batch);  // a retried batch is stored once

  auto ratio = store->metrics(query("pod", "shop/api-1", "cpu_throttled_ratio", 60, 1));
  ASSERT_EQ(ratio.size(), 1u);
  EXPECT_DOUBLE_EQ(ratio[0].value, 0.8);
  auto wl_ratio =
      store->metrics(query("workload", "shop/Deployment/api", "cpu_throttled_ratio", 60, 1));
  ASSERT_EQ(wl_ratio.size(), 1u);
  EXPECT_DOUBLE_EQ(wl_ratio[0].value, 0.5);
  auto wl_mem =
      store->metrics(query("workload", "shop/Deployment/api", "memory_working_set_bytes", 60, 1));
  ASSERT_EQ(wl_mem.size(), 1u);
  EXPECT_DOUBLE_EQ(wl_mem[0].value, 2000);
  auto ooms = store->metrics(query("pod", "shop/api-1", "oom_kills", 60, 1));
  ASSERT_EQ(ooms.size(), 1u);
  EXPECT_DOUBLE_EQ(ooms[0].value, 1);

  auto series = store->metric_series({.entity = "pod", .name = "shop/api-2", .workload = {}});
  EXPECT_EQ(series.size(), 3u);
}

TEST(MetricStore, LabelsSelectOrSumAndBadSamplesAreSkipped) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  store->write_metrics({sample(kT0, "node", "n1", "node_cpu_cores", 1.5, "", "user"),
                        sample(kT0, "node", "n1", "node_cpu_cores", 0.5, "", "system"),
                        sample(kT0, "node", "n1", "no_such_metric", 1),
                        sample(kT0, "node", "", "node_load1", 1),
                        sample(kT0, "node", "n1", "cpu_throttled_ratio", 1),
                        sample(kT0, "workload", "shop/Deployment/api", "cpu_usage_cores", 1),
                        sample(kT0, "node", "n1", "node_load1", std::nan(""))});
  auto all = store->metrics(query("node", "n1", "node_cpu_cores", 60, 1));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_DOUBLE_EQ(all[0].value, 2.0);
  auto q = query("node", "n1", "node_cpu_cores", 60, 1);
  q.label = "user";
  EXPECT_DOUBLE_EQ(store->metrics(q).at(0).value, 1.5);
  EXPECT_EQ(store->stats().metric_samples_skipped, 5u);
}

TEST(MetricStore, RawSamplesExpireBeforeRollups) {
  testing::TempDir dir;
  auto store = open_sqlite_store(
      dir.path(), {.retention_ns = 24 * 3600 * kSec, .metrics_raw_retention_ns = 3600 * kSec});
  store->write_metrics({sample(kT0, "pod", "p", "cpu_usage_cores", 1)});
  store->enforce_retention(kT0 + 2 * 3600 * kSec);
  EXPECT_TRUE(store->metrics(query("pod", "p", "cpu_usage_cores", 10)).empty());
  EXPECT_EQ(store->metrics(query("pod", "p", "cpu_usage_cores", 60)).size(), 1u);
  store->enforce_retention(kT0 + 25 * 3600 * kSec);
  EXPECT_TRUE(store->metrics(query("pod", "p", "cpu_usage_cores", 60)).empty());
  EXPECT_TRUE(store->metric_series({}).empty()) << "a series without samples goes too";
  store->write_metrics({sample(kT0 + 25 * 3600 * kSec, "pod", "p", "cpu_usage_cores", 2)});
  EXPECT_EQ(store->metric_series({}).size(), 1u) << "and comes back with a new sample";
}

}  // namespace
}  // namespace loupe::store
