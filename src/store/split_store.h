// SplitStore: a Store whose records, and the signals the shared backend
// keeps too (metrics, logs, events, profiles: SharedSignals), live in a
// backend every server replica shares (ClickHouse,
// clickhouse/clickhouse_store.h), and everything else in another Store (the
// embedded SQLite store): the Kubernetes metadata history, held batches,
// and any signal the shared backend does not keep. With a ServerState
// (PostgreSQL, postgres/state_store.h), held batches and the Kubernetes
// history go there instead; records may then stay in `rest` (no `records`
// given). docs/storage-clickhouse.md lists what lives where.
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

// The signals the shared backend keeps, each owned by the `records` object
// (null: `rest` keeps it).
struct SharedSignals {
  MetricStore* metrics = nullptr;
  LogStore* logs = nullptr;
  EventStore* events = nullptr;
  ProfileStore* profiles = nullptr;
};

class SplitStore : public Store {
 public:
  // records: null keeps them in `rest`; state: null keeps it in `rest`.
  SplitStore(std::unique_ptr<RecordStore> records, std::unique_ptr<Store> rest,
             SharedSignals shared = {}, std::unique_ptr<ServerState> state = nullptr);

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
  std::vector<ServiceSummary> services(const ServicesQuery& q) override {
    return records_->services(q);
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
  // Records (and the shared signals' counts) from `records`, the rest from
  // `rest`; sizes added.
  StoreStats stats() override;
  std::vector<MapEdge> map(const TimeRange& range) override { return records_->map(range); }
  std::vector<WorkloadSummary> workloads(const TimeRange& range) override {
    return records_->workloads(range);
  }
  std::vector<PodSummary> pods(const std::optional<std::string>& workload,
                               const TimeRange& range) override {
    return records_->pods(workload, range);
  }
  // The history to `state` when given, else `rest`; the events to where events live.
  void write_k8s(const K8sIngest& in) override;
  std::optional<K8sHistory> k8s_history() override {
    return state_ ? state_->k8s_history() : rest_->k8s_history();
  }
  void write_events(const std::vector<ClusterEvent>& events) override {
    events_->write_events(events);
  }
  std::vector<ClusterEvent> events(const EventQuery& q) override { return events_->events(q); }
  void write_metrics(const std::vector<MetricSample>& samples) override {
    metrics_->write_metrics(samples);
  }
  std::vector<MetricPoint> metrics(const MetricQuery& q) override { return metrics_->metrics(q); }
  std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery& q) override {
    return metrics_->metric_series(q);
  }
  uint64_t write_logs(const std::vector<logs::Entry>& entries) override {
    return logs_->write_logs(entries);
  }
  std::vector<StoredLog> logs(const LogQuery& q) override { return logs_->logs(q); }
  std::vector<LogHistogramPoint> log_histogram(const LogQuery& q, uint64_t step_s) override {
    return logs_->log_histogram(q, step_s);
  }
  std::vector<LogSourceCount> count_logs(const LogQuery& q) override {
    return logs_->count_logs(q);
  }
  void write_log_patterns(const std::vector<logs::Pattern>& patterns) override {
    logs_->write_log_patterns(patterns);
  }
  std::vector<logs::Pattern> all_log_patterns() override { return logs_->all_log_patterns(); }
  std::vector<LogPatternRow> log_patterns(const LogPatternQuery& q) override {
    return logs_->log_patterns(q);
  }
  uint64_t write_profiles(const std::vector<ProfileMinute>& minutes,
                          const std::optional<BatchKey>& key) override {
    return profiles_->write_profiles(minutes, key);
  }
  ProfileStacks profile(const ProfileQuery& q) override { return profiles_->profile(q); }
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
  SharedSignals shared_;
  MetricStore* metrics_;
  LogStore* logs_;
  EventStore* events_;
  ProfileStore* profiles_;
};

}  // namespace loupe::store
