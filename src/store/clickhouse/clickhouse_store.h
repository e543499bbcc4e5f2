// ClickHouseStore: the record side of a store (RecordStore) in ClickHouse,
// for `loupe server --store clickhouse://...`. It keeps what the record
// pipeline resolved (store/resolved_batch.h) in the tables of schema
// version 3 (store_schema.h) and answers the record queries from them as the
// embedded store does: the same rollup cells and sketches, folded by the
// same code, so both give the same answers (tests/unit/store/conformance).
//
// Writes: one RowBinary INSERT per table and UTC hour per write_batch
// (services, records, the three rollups, then the agent batch keys, which
// makes has_batch true on every replica), prepared once (prepared_write.h).
// Each write gets a random 43-bit id; a record's id is write id << 20 | its
// index in the write, unique across replicas without coordination (two
// writes share an id with probability ~W^2 / 2^44 for W writes kept) and
// stable while the record is kept; the rollup rows carry the write id. With
// a spool (spooled_writer.h, what the server uses) every write is spooled
// before it is sent and resumed part by part after a failure, so it lands
// in ClickHouse exactly once; without one a failed write throws.
//
// The other signals too, each in a file of its own: metrics
// (metric_store.cpp), logs and log patterns (log_store.cpp), Kubernetes
// events (event_store.cpp) and CPU profiles (profile_store.cpp), answered
// with the embedded store's SQL-free folds (store/metric_answers.h,
// store/log_answers.h), and written through the same spool (store_write).
// Held batches and the Kubernetes metadata history
// live in another Store (split_store.h); write_batch refuses bookkeeping
// that holds or releases.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "store/clickhouse/client_pool.h"
#include "store/clickhouse/cluster.h"
#include "store/clickhouse/error.h"
#include "store/clickhouse/features.h"
#include "store/clickhouse/shard_writes.h"
#include "store/clickhouse/spooled_writer.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

// What /api/v1/status shows of the backend.
struct ClickHouseStatus {
  std::string url;      // safe to print (no password)
  std::string version;  // the server's
  std::string features;
  int schema_version = 0;
  uint64_t writes = 0;          // writes ClickHouse stored (directly or from the spool)
  uint64_t rows_written = 0;    // records
  uint64_t write_errors = 0;    // failed sends (a spooled write: each attempt)
  uint64_t write_ns_total = 0;  // time spent sending them
  uint64_t write_ns_last = 0;
  std::string cluster;           // cluster mode: the cluster's name and hosts
  uint64_t compacted_hours = 0;  // rollup hours folded (compaction.h)
  uint64_t compacted_rows_before = 0;
  uint64_t compacted_rows_after = 0;
  std::string last_error;            // empty when none
  std::optional<SpoolStatus> spool;  // with a spool
};

class ClickHouseStore : public RecordStore,
                        public MetricStore,
                        public LogStore,
                        public EventStore,
                        public ProfileStore {
 public:
  // Connects, checks the schema (schema.h check()) and reads the server's
  // version; throws Error with what is wrong and what to do. Opens the
  // spool when `spool.dir` is set (throws StoreError).
  ClickHouseStore(const Url& url, StoreOptions options, SpoolOptions spool = {},
                  ClientOptions client = {});
  ~ClickHouseStore() override;

  void write_batch(const ResolvedBatch& batch, IngestBookkeeping* book = nullptr) override;
  ResolverSeed resolver_seed() override;
  uint64_t seed_generation() override { return seed_generation_.load(); }
  bool has_batch(const BatchKey& key) override;
  void write_losses(const std::vector<LossMinute>& losses) override;
  std::vector<LossMinute> losses(const TimeRange& range) override;
  std::vector<ServiceSummary> services(const ServicesQuery& q) override;
  std::vector<EndpointSummary> endpoints(const std::optional<std::string>& service,
                                         const TimeRange& range) override;
  std::vector<LatencyPoint> latency(const LatencyQuery& q) override;
  std::vector<StoredRequest> requests(const RequestQuery& q) override;
  uint64_t count_requests(const RequestQuery& q, uint64_t at_most) override;
  std::optional<StoredRequest> request(int64_t id) override;
  StoreStats stats() override;
  std::vector<MapEdge> map(const TimeRange& range) override;
  std::vector<WorkloadSummary> workloads(const TimeRange& range) override;
  std::vector<PodSummary> pods(const std::optional<std::string>& workload,
                               const TimeRange& range) override;
  // Upkeep, run every minute by ingest: folds the rollup hours that ended
  // kCompactionGrace before now (compaction.h), then drops the whole UTC days
  // that ended before now - retention (retention.h); returns 0 (dropping a
  // day does not count its rows). Metric reads then leave out what the
  // embedded store would have deleted (raw samples past their shorter
  // retention, minutes past the retention), so both answer alike between
  // day boundaries.
  uint64_t enforce_retention(uint64_t now_ns) override;

  // metric_store.cpp
  void write_metrics(const std::vector<MetricSample>& samples) override;
  std::vector<MetricPoint> metrics(const MetricQuery& q) override;
  std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery& q) override;

  // log_store.cpp
  uint64_t write_logs(const std::vector<logs::Entry>& entries) override;
  std::vector<StoredLog> logs(const LogQuery& q) override;
  std::vector<LogHistogramPoint> log_histogram(const LogQuery& q, uint64_t step_s) override;
  std::vector<LogSourceCount> count_logs(const LogQuery& q) override;
  void write_log_patterns(const std::vector<logs::Pattern>& patterns) override;
  std::vector<logs::Pattern> all_log_patterns() override;
  std::vector<LogPatternRow> log_patterns(const LogPatternQuery& q) override;

  // event_store.cpp
  void write_events(const std::vector<ClusterEvent>& events) override;
  std::vector<ClusterEvent> events(const EventQuery& q) override;

  // profile_store.cpp
  uint64_t write_profiles(const std::vector<ProfileMinute>& minutes,
                          const std::optional<BatchKey>& key) override;
  ProfileStacks profile(const ProfileQuery& q) override;

  ClickHouseStatus status();
  // Tests: waits until the spool is empty; true when it is (or there is none).
  bool drain_spool(std::chrono::milliseconds timeout);

 private:
  // Runs `fn` with a pooled client, turning ClickHouse errors into StoreError.
  template <typename Fn>
  auto with_client(Fn&& fn);
  uint64_t next_prefix();
  // `fn` on the URL's server, or on one replica of each shard's local tables
  // in cluster mode (local = true).
  void for_each_shard(const std::function<void(Client&, bool local)>& fn);
  // The WHERE clause of a log query (paging: with q.before).
  std::string log_where(const LogQuery& q, bool paging) const;
  // Log sources this store named a workload for already (so each is
  // written to loupe_log_sources once per process, not once per write).
  bool source_named(const std::string& node, const std::string& source);
  void note_named_sources(const std::set<std::pair<std::string_view, std::string_view>>& sources);
  // Every write of every signal: through the spool when there is one (it
  // never throws for ClickHouse being down, only for a full spool), else
  // sent at once (throws StoreError).
  void store_write(const PreparedWrite& write);
  bool spooled() const { return spool_ != nullptr; }
  void stored(uint64_t records, uint64_t ns);
  void failed(const std::string& error);

  ClientPool pool_;
  ClientOptions client_options_;
  std::optional<Cluster> cluster_;
  StoreOptions options_;
  std::string version_, features_;

  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::atomic<uint64_t> seed_generation_{0};
  std::atomic<uint64_t> metric_samples_skipped_{0};
  // What the embedded store would have deleted by now (0 until
  // enforce_retention ran): raw metric samples before metric_raw_cutoff_s_
  // (unix seconds), everything else before retention_cutoff_ns_.
  std::atomic<int64_t> metric_raw_cutoff_s_{0};
  std::atomic<uint64_t> retention_cutoff_ns_{0};

  std::mutex named_sources_mu_;
  std::set<std::pair<std::string, std::string>> named_sources_;

  std::mutex status_mu_;
  ClickHouseStatus status_;
  StoreStats last_stats_;
  std::unique_ptr<ShardWrites> shard_writes_;  // cluster mode: where writes go
  std::unique_ptr<SpooledWriter> spool_;       // last: its thread reports to the fields above
};

template <typename Fn>
auto ClickHouseStore::with_client(Fn&& fn) {
  try {
    auto client = pool_.borrow();
    return fn(*client);
  } catch (const Error& e) {
    throw StoreError(e.what());
  }
}

// Record ids: the write's prefix and the row's index in the write.
inline constexpr int kIndexBits = 20;
inline constexpr size_t kMaxRowsPerWrite = size_t{1} << kIndexBits;

// The batch id a BatchKey is kept under in loupe_batches.
std::string batch_id_of(const BatchKey& key);

}  // namespace loupe::store::clickhouse
