// A Store that keeps nothing and answers nothing: the base of test and fuzz
// stand-ins, so a new Store virtual is stubbed in one place.
#pragma once

#include "store/store.h"

namespace loupe::testing {

class NullStore : public store::Store {
 public:
  void write_batch(const store::ResolvedBatch&, store::IngestBookkeeping*) override {}
  store::ResolverSeed resolver_seed() override { return {}; }
  uint64_t seed_generation() override { return 0; }
  bool has_batch(const BatchKey&) override { return false; }
  std::vector<store::HeldBatch> held_batches() override { return {}; }
  void write_losses(const std::vector<store::LossMinute>&) override {}
  std::vector<store::LossMinute> losses(const store::TimeRange&) override { return {}; }
  std::vector<store::ServiceSummary> services(const store::ServicesQuery&) override { return {}; }
  std::vector<store::EndpointSummary> endpoints(const std::optional<std::string>&,
                                                const store::TimeRange&) override {
    return {};
  }
  std::vector<store::LatencyPoint> latency(const store::LatencyQuery&) override { return {}; }
  std::vector<store::StoredRequest> requests(const store::RequestQuery&) override { return {}; }
  uint64_t count_requests(const store::RequestQuery&, uint64_t) override { return 0; }
  std::optional<store::StoredRequest> request(int64_t) override { return std::nullopt; }
  store::StoreStats stats() override { return {}; }
  std::vector<store::MapEdge> map(const store::TimeRange&) override { return {}; }
  std::vector<store::WorkloadSummary> workloads(const store::TimeRange&) override { return {}; }
  std::vector<store::PodSummary> pods(const std::optional<std::string>&,
                                      const store::TimeRange&) override {
    return {};
  }
  void write_k8s(const store::K8sIngest&) override {}
  void write_events(const std::vector<ClusterEvent>&) override {}
  std::optional<store::K8sHistory> k8s_history() override { return std::nullopt; }
  std::vector<ClusterEvent> events(const store::EventQuery&) override { return {}; }
  void write_metrics(const std::vector<MetricSample>&) override {}
  std::vector<store::MetricPoint> metrics(const store::MetricQuery&) override { return {}; }
  std::vector<store::MetricSeriesInfo> metric_series(const store::MetricSeriesQuery&) override {
    return {};
  }
  uint64_t write_logs(const std::vector<logs::Entry>&) override { return 0; }
  std::vector<store::StoredLog> logs(const store::LogQuery&) override { return {}; }
  std::vector<store::LogHistogramPoint> log_histogram(const store::LogQuery&, uint64_t) override {
    return {};
  }
  std::vector<store::LogSourceCount> count_logs(const store::LogQuery&) override { return {}; }
  void write_log_patterns(const std::vector<logs::Pattern>&) override {}
  std::vector<logs::Pattern> all_log_patterns() override { return {}; }
  uint64_t write_profiles(const std::vector<ProfileMinute>&,
                          const std::optional<BatchKey>&) override {
    return 0;
  }
  ProfileStacks profile(const store::ProfileQuery&) override { return {}; }
  std::vector<store::LogPatternRow> log_patterns(const store::LogPatternQuery&) override {
    return {};
  }
  uint64_t enforce_retention(uint64_t) override { return 0; }
};

}  // namespace loupe::testing
