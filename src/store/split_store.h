// SplitStore: a Store whose records live in one RecordStore (ClickHouse,
// clickhouse/clickhouse_store.h) and everything else in another Store (the
// embedded SQLite store): Kubernetes history and events, metrics, logs, log
// patterns, profiles and held batches. With a ServerState (PostgreSQL,
// postgres/state_store.h), held batches and the Kubernetes history go there
// instead; records may then stay in `rest` (no `records` given).
// docs/storage-clickhouse.md lists what lives where.
//
// write_batch with held or released batches touches both: the held
// batches are kept in `rest` before the records and batch keys go to
// `records`, and released ones are removed after; a failure in between
// stores a released batch's records again on replay (a duplicate, never a
// loss).
#pragma once

#include <memory>

#include "store/server_state.h"
#include "store/store.h"

namespace loupe::store {

class SplitStore : public Store {
 public:
  // records: null keeps them in `rest`; state: null keeps it in `rest`.
  SplitStore(std::unique_ptr<RecordStore> records, std::unique_ptr<Store> rest,
             std::unique_ptr<ServerState> state = nullptr)
      : own_records_(std::move(records)),
        rest_(std::move(rest)),
        state_(std::move(state)),
        records_(own_records_ ? own_records_.get() : rest_.get()) {}

  RecordStore& records() { return *records_; }

  void write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) override;
  ResolverSeed resolver_seed() override { return records_->resolver_seed(); }
  uint64_t seed_generation() override { return records_->seed_generation(); }
  bool has_batch(const BatchKey& key) override { return records_->has_batch(key); }
  std::vector<HeldBatch> held_batches() override {
    return state_ ? state_->held_batches() : rest_->held_batches();
  }
  void write_losses(const std::vector<LossMinute>& losses) override {
    records_->write_losses(losses);
  }
  std::vector<LossMinute> losses(const TimeRange& range) override {
    return records_->losses(range);
  }
  std::vector<ServiceSummary> services(const TimeRange& range) override {
    return records_->services(range);
  }
  std::vector<EndpointSummary> endpoints(const std::optional<std::string>& service,
                                         const TimeRange& range) override {
    return records_->endpoints(service, range);
  }
  std::vector<LatencyPoint> latency(const LatencyQuery& q) override { return records_->latency(q); }
  std::vector<StoredRequest> requests(const RequestQuery& q) override {
    return records_->requests(q);
  }
  uint64_t count_requests(const RequestQuery& q, uint64_t at_most) override {
    return records_->count_requests(q, at_most);
  }
  std::optional<StoredRequest> request(int64_t id) override { return records_->request(id); }
  // Records from `records`, the rest from `rest`; sizes added.
  StoreStats stats() override;
  std::vector<MapEdge> map(const TimeRange& range) override { return records_->map(range); }
  std::vector<WorkloadSummary> workloads(const TimeRange& range) override {
    return records_->workloads(range);
  }
  std::vector<PodSummary> pods(const std::optional<std::string>& workload,
                               const TimeRange& range) override {
    return records_->pods(workload, range);
  }
  void write_k8s(const K8sIngest& in) override;  // history to `state` when given, events to `rest`
  std::optional<K8sHistory> k8s_history() override {
    return state_ ? state_->k8s_history() : rest_->k8s_history();
  }
  std::vector<ClusterEvent> events(const EventQuery& q) override { return rest_->events(q); }
  void write_metrics(const std::vector<MetricSample>& samples) override {
    rest_->write_metrics(samples);
  }
  std::vector<MetricPoint> metrics(const MetricQuery& q) override { return rest_->metrics(q); }
  std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery& q) override {
    return rest_->metric_series(q);
  }
  uint64_t write_logs(const std::vector<logs::Entry>& entries) override {
    return rest_->write_logs(entries);
  }
  std::vector<StoredLog> logs(const LogQuery& q) override { return rest_->logs(q); }
  std::vector<LogHistogramPoint> log_histogram(const LogQuery& q, uint64_t step_s) override {
    return rest_->log_histogram(q, step_s);
  }
  std::vector<LogSourceCount> count_logs(const LogQuery& q) override {
    return rest_->count_logs(q);
  }
  void write_log_patterns(const std::vector<logs::Pattern>& patterns) override {
    rest_->write_log_patterns(patterns);
  }
  std::vector<logs::Pattern> all_log_patterns() override { return rest_->all_log_patterns(); }
  std::vector<LogPatternRow> log_patterns(const LogPatternQuery& q) override {
    return rest_->log_patterns(q);
  }
  uint64_t write_profiles(const std::vector<ProfileMinute>& minutes) override {
    return rest_->write_profiles(minutes);
  }
  ProfileStacks profile(const ProfileQuery& q) override { return rest_->profile(q); }
  // Both; returns the records `records` deleted.
  uint64_t enforce_retention(uint64_t now_ns) override;

 private:
  // Held and released batches of a write, to `state` or `rest`.
  void hold(const std::vector<HeldBatch*>& batches);
  void release(const std::vector<uint64_t>& ids);

  std::unique_ptr<RecordStore> own_records_;
  std::unique_ptr<Store> rest_;
  std::unique_ptr<ServerState> state_;
  RecordStore* records_;  // own_records_, or rest_
};

}  // namespace loupe::store
