// The storage interface the API server, the alert engine and the record
// pipeline talk to. SqliteStore (sqlite_store.cpp) is the embedded
// implementation; a ClickHouse backend implements the same interface
// without the API changing.
//
// A store only persists and queries. Records reach it resolved
// (store/resolved_batch.h): the record pipeline (pipeline/record_pipeline.h)
// has named each one's service, caller, route and RED counting before
// write_batch, so every backend stores the same answers.
//
// Every record is kept raw (for drill-down) and also rolled up into
// per-minute aggregates (count, errors, latency sum, latency sketch) per
// (service, method, route, protocol, counted) so RED and latency queries over
// long windows read thousands of rows, not millions.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/batch_key.h"
#include "core/cluster_event.h"
#include "core/metric.h"
#include "core/profile_minute.h"
#include "core/record.h"
#include "logs/log_entry.h"
#include "logs/pattern_miner.h"
#include "store/resolved_batch.h"
#include "store/sketch.h"

namespace loupe::store {

// Thrown by open_sqlite_store and write failures; what() is user-facing
// ("what failed; what to do").
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  uint64_t retention_ns = 24ULL * 3600 * 1'000'000'000ULL;  // 0 keeps everything
  // Raw (10 s) metric samples; per-minute rollups are kept for retention_ns.
  uint64_t metrics_raw_retention_ns = 6ULL * 3600 * 1'000'000'000ULL;
};

// Half-open [from_ns, to_ns). Aggregate-backed queries are minute-granular:
// a minute is included when its start lies in the range.
struct TimeRange {
  uint64_t from_ns = 0;
  uint64_t to_ns = 0;
};

struct RedSummary {
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate = 0;  // errors / requests, 0 when no requests
  double rate_per_s = 0;  // requests / window seconds
  // Seconds of the minutes that had requests (at most the window), and the
  // rate over them: what the traffic ran at while there was any.
  double active_s = 0;
  double active_rate_per_s = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
};

struct LatencyPoint {
  uint64_t t = 0;       // bucket start, unix seconds
  double value_ms = 0;  // 0 when count is 0 (no data: a gap, not a latency)
  uint64_t count = 0;
  uint64_t errors = 0;  // counted requests of the bucket that failed
};

struct ServiceSummary {
  std::string name;
  std::string kind;  // "process", "external", "service"
  std::vector<uint16_t> ports;
  RedSummary red;
  std::vector<LatencyPoint> series;  // when ServicesQuery::series asked for it
};

// A latency quantile and the errors per step bucket of every service
// (ServiceSummary::series), folded from the cells its summary is read from:
// the overview's sparklines in the one call that lists the services.
struct ServiceSeries {
  uint64_t step_s = 60;  // a positive multiple of 60 (data is per minute)
  double quantile = 0.95;
};

struct ServicesQuery {
  TimeRange range;
  std::optional<ServiceSeries> series;
};

struct EndpointSummary {
  std::string service;
  std::string method;  // HTTP method, SQL verb, Redis command, DNS qtype
  std::string route;   // route template / normalized statement / query name
  Protocol protocol = Protocol::Unknown;
  RedSummary red;
  Sketch latency;  // the window's durations (ns), so callers can merge endpoints exactly
};

struct LatencyQuery {
  std::string service;
  std::optional<std::string> route;   // all routes when absent
  std::optional<std::string> method;  // all methods when absent
  double quantile = 0.95;
  uint64_t step_s = 60;  // a positive multiple of 60 (data is per minute)
  TimeRange range;
};

enum class RequestOrder { Newest, Slowest };

struct RequestQuery {
  std::optional<std::string> service;
  std::optional<std::string> route;
  std::optional<int> status;
  std::optional<Protocol> protocol;
  uint64_t min_duration_ns = 0;
  // true: each call once (the copies RED counts); false: only the client
  // copies of local calls; absent: every stored copy.
  std::optional<bool> counted;
  // Case-insensitive (ASCII) substring of the path (SQL statement, Redis
  // key, DNS name), host, detail or error message; empty: no text filter.
  std::string text;
  // What trace linking (traces/assembler.h) looks up: one side of a
  // connection, one thread, one traceparent trace id.
  std::optional<Role> role;
  std::optional<uint32_t> pid;
  std::optional<uint32_t> tid;
  std::optional<std::string> local_addr;
  std::optional<std::string> remote_addr;
  std::optional<std::string> trace_id;
  TimeRange range;
  size_t limit = 100;
  // Slowest: the `limit` longest exchanges of the whole window, longest first.
  RequestOrder order = RequestOrder::Newest;
  // Loupe's own traffic (services of kind "loupe": the web UI's and `loupe
  // query`'s API calls, a `loupe server`'s ingest) is left out unless asked
  // for here or named by `service`, so it is not taken for the user's.
  bool with_self = false;
};

struct StoredRequest {
  int64_t id = 0;  // stable while the record is kept (GET /api/v1/requests/<id>)
  Record record;
  std::string service;  // resolved Loupe service (the callee for client records)
  // Who made the call, as on the service map ("web:8000", "curl (pid 12)",
  // "shop/Deployment/web", "external:10.0.0.7"); empty when not known.
  std::string caller;
  bool counted = true;  // false for the client side of a local-to-local call
};

// One caller -> callee edge of the service map (see store/caller_identity.h).
struct MapEdge {
  std::string caller, caller_kind;  // kind: "process", "workload", "external"
  std::string callee, callee_kind;  // kind: as ServiceSummary::kind
  std::vector<Protocol> protocols;  // every protocol seen on the edge
  RedSummary red;
};

// RED of what a Kubernetes workload served (server-side records, plus
// client-side records whose callee's server side was not seen).
struct WorkloadSummary {
  std::string name;                  // "namespace/Kind/name", the workload's Loupe service
  std::string namespace_, workload;  // "shop", "Deployment/api"
  RedSummary red;
};

struct PodSummary {
  std::string namespace_, pod;
  std::string workload;  // "namespace/Kind/name"
  RedSummary red;
};

struct EventQuery {
  std::optional<std::string> namespace_, object, reason, type;  // object: involved name
  TimeRange range;
  size_t limit = 100;
};

// One POST /api/v1/k8s/ingest, kept so a restarted server rebuilds its
// cluster model: the snapshot (JSON text, empty when the payload had none)
// and the changes (JSON text each, in seq order) as received.
struct K8sIngest {
  uint64_t received_ns = 0;
  std::string collector;
  std::string snapshot;
  std::vector<std::string> changes;
  std::vector<ClusterEvent> events;
};

// The latest snapshot and every change received after it.
struct K8sHistory {
  std::string snapshot;
  std::vector<std::string> changes;
};

// One time series of /api/v1/metrics: entity "workload" sums the series of
// the workload's pods; without a label every label's series are summed.
struct MetricQuery {
  std::string entity;  // "node" | "pod" | "workload" | "container" | "process"
  std::string name;
  std::string metric;  // a catalog name (core/metric.h)
  std::optional<std::string> label;
  TimeRange range;
  uint64_t step_s = 60;  // a multiple of 60 reads the per-minute rollup, else raw samples
};

struct MetricPoint {
  uint64_t t = 0;  // bucket start, unix seconds
  double value = 0;
};

struct MetricSeriesQuery {
  std::optional<std::string> entity, name, workload;
};

struct MetricSeriesInfo {
  std::string entity, name, label, metric, workload;
};

// What never reached the store in one minute (see IngestQueue): the UI
// marks windows with losses as incomplete.
struct LossMinute {
  uint64_t minute_s = 0;  // minute start, unix seconds
  uint64_t records = 0;   // parsed records dropped before storage
  uint64_t events = 0;    // kernel events lost before parsing (ring buffer full)
};

// A remote batch acknowledged to its agent but not stored yet: its records
// wait for the cluster model to name them (server/pending_enrichment.h).
// Kept in the store so a crash loses none of it; replayed on start.
struct HeldBatch {
  uint64_t id = 0;  // assigned by the store
  uint64_t arrived_ns = 0;
  std::vector<Record> records;
};

// What remote ingest commits in the same transaction as a write_batch's
// records, so an acknowledged batch is stored exactly once whatever
// crashes when.
struct IngestBookkeeping {
  std::vector<BatchKey> batches;   // agent batches these records (or `hold`) came in
  std::vector<HeldBatch*> hold;    // batches set aside, unnamed; ids assigned here
  std::vector<uint64_t> released;  // held batches whose records are in this write
};

// Log entries (docs/logs.md, "Storage"): every filter set must match.
struct LogQuery {
  std::optional<std::string> node, namespace_, workload, pod, container;
  std::vector<logs::Level> levels;  // any of these; all levels when empty
  // Full-text search: every word must occur in the entry (a word ending in
  // '*' matches as a prefix); empty: no text filter.
  std::string text;
  TimeRange range;
  size_t limit = 100;
  // Paging, newest first: only entries older than this position (the
  // `cursor` of the last entry of the previous page).
  std::optional<std::pair<uint64_t, int64_t>> before;  // (time_ns, id)
  std::optional<uint32_t> pattern;                     // only entries of this pattern
};

struct StoredLog {
  int64_t id = 0;
  logs::Entry entry;
};

// The entries of one source (a file an agent read) matching a LogQuery.
struct LogSourceCount {
  std::string node, namespace_, workload, pod, container, file;
  uint64_t count = 0;
};

struct LogHistogramPoint {
  uint64_t t = 0;  // bucket start, unix seconds
  // Entries per level, indexed by logs::Level (0: no level).
  std::array<uint64_t, 7> counts{};
};

// A log pattern (logs/pattern_miner.h) with its counts over a LogQuery's
// range (entries counted by minute: the range's ends are rounded to whole
// minutes).
struct LogPatternRow {
  logs::Pattern pattern;
  uint64_t count = 0;                                 // entries in the range
  uint64_t previous_count = 0;                        // in the range of the same length just before
  std::vector<std::pair<uint64_t, uint64_t>> points;  // (bucket start, unix s; entries)
};

struct LogPatternQuery {
  LogQuery filter;       // entities, levels, range; text: words the pattern must contain
  uint64_t step_s = 60;  // buckets of `points`, a multiple of 60
  std::optional<uint64_t> first_seen_after_ns;  // only patterns new since then
  size_t limit = 100;                           // most frequent first
};

// CPU profile samples (docs/profiling.md): every filter set must match.
struct ProfileQuery {
  std::optional<std::string> node;
  std::optional<std::string> workload;  // "namespace/Kind/name"
  std::optional<std::string> pod;       // "namespace/pod" or a pod name
  std::optional<std::string> process;   // process name (comm)
  std::optional<uint32_t> pid;
  TimeRange range;  // minute-granular, like the other rollups
};

struct StoreStats {
  uint64_t records_stored = 0;
  uint64_t store_size_bytes = 0;
  uint64_t metric_samples_skipped = 0;
  uint64_t logs_stored = 0;
};

// The record side of a store: resolved records, their rollups, the batch
// keys that make remote ingest idempotent, and losses. A backend that keeps
// only records (clickhouse/clickhouse_store.h) implements this alone and is
// combined with a full Store for the rest (split_store.h).
class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Persists a resolved batch in one transaction, together with `book`
  // when given (a batch with no rows may carry bookkeeping alone): each
  // record raw, with its service, route, caller and counted flag (what
  // requests() and request() return); its minute in the rollups of
  // (service, method, route, protocol, counted) (services, endpoints,
  // latency); the caller -> callee edge of rows whose caller is counted
  // (map); the workload -> pod RED of rows that are workload_served
  // (workloads, pods); and the new services. It decides no name itself.
  // Throws StoreError, and then has kept nothing of the batch. Called from
  // one writer thread.
  virtual void write_batch(const ResolvedBatch& batch, IngestBookkeeping* book = nullptr) = 0;
  // The registered services still in use and the (service, route) pairs of
  // the rollups: what the resolver starts from (on opening, after a failed
  // write, and when seed_generation changed). Called from the writer thread.
  virtual ResolverSeed resolver_seed() = 0;
  // Changes whenever the store forgets services or routes (retention drops
  // what no stored row uses any more), so the resolver reads resolver_seed()
  // again instead of keeping names the store no longer has. Cheap; any
  // thread.
  virtual uint64_t seed_generation() = 0;
  // True when an agent batch with this key was stored or held (keys are
  // kept 24 h). Called from the writer thread.
  virtual bool has_batch(const BatchKey& key) = 0;

  // Adds to the per-minute loss counts, in its own transaction. Called
  // from the writer thread.
  virtual void write_losses(const std::vector<LossMinute>& losses) = 0;
  // Minutes of the range (minute-granular, like the rollups) with any loss.
  virtual std::vector<LossMinute> losses(const TimeRange& range) = 0;

  virtual std::vector<ServiceSummary> services(const ServicesQuery& q) = 0;
  virtual std::vector<EndpointSummary> endpoints(const std::optional<std::string>& service,
                                                 const TimeRange& range) = 0;
  virtual std::vector<LatencyPoint> latency(const LatencyQuery& q) = 0;
  virtual std::vector<StoredRequest> requests(const RequestQuery& q) = 0;  // in q.order
  // How many stored exchanges match q, counting at most `at_most` (the
  // work is bounded: a busy day holds hundreds of millions); q.limit and
  // q.order are ignored.
  virtual uint64_t count_requests(const RequestQuery& q, uint64_t at_most) = 0;
  virtual std::optional<StoredRequest> request(int64_t id) = 0;
  virtual StoreStats stats() = 0;

  virtual std::vector<MapEdge> map(const TimeRange& range) = 0;
  virtual std::vector<WorkloadSummary> workloads(const TimeRange& range) = 0;
  // Pods of one workload ("namespace/Kind/name") or of all.
  virtual std::vector<PodSummary> pods(const std::optional<std::string>& workload,
                                       const TimeRange& range) = 0;

  // Deletes everything that started before now_ns - retention, and (at
  // most hourly) the names and services no stored row uses any more (then
  // seed_generation changes). Returns the number of raw records deleted
  // (a store that drops whole days may not know it: then 0).
  virtual uint64_t enforce_retention(uint64_t now_ns) = 0;
};

// The signals besides records, one interface each: part of every Store,
// and kept by a backend shared by server replicas too
// (clickhouse/clickhouse_store.h), so each replica answers the same
// (split_store.h routes them).

// Metric samples and their per-minute answers.
class MetricStore {
 public:
  virtual ~MetricStore() = default;
  // Metric samples (one transaction; may run on any thread). Samples of
  // unknown metrics are skipped (counted in stats); a sample sent again
  // (same series and second) is stored once.
  virtual void write_metrics(const std::vector<MetricSample>& samples) = 0;
  virtual std::vector<MetricPoint> metrics(const MetricQuery& q) = 0;  // oldest first
  virtual std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery& q) = 0;
};

// Log entries and log patterns.
class LogStore {
 public:
  virtual ~LogStore() = default;
  // Log entries (one transaction; may run on any thread). An entry whose
  // (node, source, offset) is stored already is skipped: agents send again
  // what they could not see acknowledged. Returns the entries stored.
  virtual uint64_t write_logs(const std::vector<logs::Entry>& entries) = 0;
  virtual std::vector<StoredLog> logs(const LogQuery& q) = 0;  // newest first
  // Entries per level per `step_s` bucket of q.range (q.limit, q.before ignored).
  virtual std::vector<LogHistogramPoint> log_histogram(const LogQuery& q, uint64_t step_s) = 0;
  // How many entries match, per source that wrote them (q.limit, q.before
  // ignored): log_count alert rules group these by their labels.
  virtual std::vector<LogSourceCount> count_logs(const LogQuery& q) = 0;
  // Log patterns: their definitions (new or changed; written before the
  // entries that name them), all of them (to resume the miner), and the
  // most frequent over a range. Entries count toward their pattern in
  // write_logs.
  virtual void write_log_patterns(const std::vector<logs::Pattern>& patterns) = 0;
  virtual std::vector<logs::Pattern> all_log_patterns() = 0;
  virtual std::vector<LogPatternRow> log_patterns(const LogPatternQuery& q) = 0;
};

// Kubernetes events (the metadata history is the Store's).
class EventStore {
 public:
  virtual ~EventStore() = default;
  // Events are de-duplicated on (namespace, kind, name, container, reason,
  // time_ns), a repeat updating count/last_ns/message. May run on any thread.
  virtual void write_events(const std::vector<ClusterEvent>& events) = 0;
  virtual std::vector<ClusterEvent> events(const EventQuery& q) = 0;  // newest first
};

// CPU profiles: per-minute aggregated stacks.
class ProfileStore {
 public:
  virtual ~ProfileStore() = default;
  // Added to what the minute holds already (agents send a minute in parts).
  // One transaction; may run on any thread. Returns the samples stored.
  // With the agent's `key`, a part is stored once: sent again (its answer
  // lost) it is recognised, as has_batch recognises a record batch, and 0
  // is returned.
  virtual uint64_t write_profiles(const std::vector<ProfileMinute>& minutes,
                                  const std::optional<BatchKey>& key = std::nullopt) = 0;
  // The stacks of the range's minutes matching q, summed, each chain with
  // its process name as root frame.
  virtual ProfileStacks profile(const ProfileQuery& q) = 0;
};

// Everything the server keeps: records, metrics, logs, events and profiles,
// and the cluster's metadata history and held batches.
class Store : public RecordStore,
              public MetricStore,
              public LogStore,
              public EventStore,
              public ProfileStore {
 public:
  // Every held batch, oldest first (on start, to replay them).
  virtual std::vector<HeldBatch> held_batches() = 0;

  // Kubernetes metadata history and events: write_k8s keeps the history
  // and writes the events (write_events). May run on any thread (it
  // serialises with write_batch).
  virtual void write_k8s(const K8sIngest& in) = 0;
  virtual std::optional<K8sHistory> k8s_history() = 0;
};

// Opens (creating if needed) <data_dir>/loupe.db. Throws StoreError.
std::unique_ptr<Store> open_sqlite_store(const std::string& data_dir, StoreOptions options = {});

}  // namespace loupe::store
