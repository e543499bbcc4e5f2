#include "export/resource_metrics.h"

#include <gtest/gtest.h>

namespace loupe::exporting {
namespace {

MetricSample sample(std::string entity, std::string name, std::string metric, double value,
                    uint64_t t, std::string label = "", std::string workload = "") {
  return {.time_ns = t,
          .entity = std::move(entity),
          .name = std::move(name),
          .label = std::move(label),
          .metric = std::move(metric),
          .value = value,
          .workload = std::move(workload)};
}

std::string scrape(ResourceMetrics& m, uint64_t now_ns) {
  ExpositionWriter w(ExpositionFormat::PrometheusText);
  m.write(w, now_ns);
  return w.finish();
}

TEST(ResourceMetrics, GaugesShowTheLatestCountersTheTotal) {
  ResourceMetrics m;
  const uint64_t s = 1'000'000'000;
  m.update({sample("container", "shop/api-1/api", "memory_working_set_bytes", 100, 10 * s, "",
                   "shop/Deployment/api"),
            sample("pod", "shop/api-1", "oom_kills", 1, 10 * s)});
  m.update({sample("container", "shop/api-1/api", "memory_working_set_bytes", 250, 20 * s, "",
                   "shop/Deployment/api"),
            sample("pod", "shop/api-1", "oom_kills", 2, 20 * s),
            sample("node", "n1", "node_cpu_cores", 0.5, 20 * s, "user"),
            sample("pod", "shop/api-1", "cpu_throttled_ratio", 0.5, 20 * s)});
  std::string text = scrape(m, 21 * s);
  EXPECT_NE(text.find("container_memory_working_set_bytes{k8s_namespace_name=\"shop\",k8s_pod_"
                      "name=\"api-1\",k8s_container_name=\"api\",service_name=\"shop/"
                      "Deployment/api\"} 250\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE k8s_pod_oom_kills_total counter\n"
                      "k8s_pod_oom_kills_total{k8s_namespace_name=\"shop\",k8s_pod_name=\"api-1\"}"
                      " 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("node_cpu_cores{k8s_node_name=\"n1\",cpu_mode=\"user\"} 0.5\n"),
            std::string::npos);
  EXPECT_EQ(text.find("throttled_ratio"), std::string::npos) << "ratios are left out";
}

TEST(ResourceMetrics, StaleSeriesGoAndTheSeriesCapHolds) {
  ResourceMetrics m({.max_series = 2, .stale_after_ns = 60'000'000'000});
  const uint64_t s = 1'000'000'000;
  m.update({sample("process", "nginx", "tcp_retransmits", 1, 10 * s, "10.0.0.1:80"),
            sample("process", "curl", "tcp_retransmits", 1, 10 * s, "10.0.0.1:80"),
            sample("process", "wget", "tcp_retransmits", 1, 10 * s, "10.0.0.1:80")});
  std::string text = scrape(m, 20 * s);
  EXPECT_NE(text.find("process_tcp_retransmits_total{process_executable_name=\"nginx\",network_"
                      "peer_address=\"10.0.0.1:80\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("wget"), std::string::npos);
  EXPECT_NE(text.find("loupe_resource_series_dropped_total 1"), std::string::npos);
  EXPECT_EQ(scrape(m, 200 * s).find("process_tcp"), std::string::npos) << "stale after 60 s";
}

}  // namespace
}  // namespace loupe::exporting
