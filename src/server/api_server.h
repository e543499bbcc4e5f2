// The HTTP JSON API (/api/v1, docs/api.md), remote-agent ingest, and the
// static web UI, in front of a Store. Used by `loupe run` and `loupe server`:
//
//   loupe::server::ApiServer api(store, queue, {.listen = "127.0.0.1:8080"});
//   api.start();   // throws ApiError("127.0.0.1:8080 is in use; pass --listen")
//   ...
//   api.stop();
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "alerts/engine.h"
#include "core/record_batch_pool.h"
#include "export/otlp/exporter.h"
#include "export/request_metrics.h"
#include "export/resource_metrics.h"
#include "logs/entry_observer.h"
#include "logs/pattern_miner.h"
#include "pipeline/ingest_queue.h"
#include "server/agent_stats.h"
#include "server/cluster_model.h"
#include "server/http/server.h"
#include "server/ingest_decode.h"
#include "server/metric_hold.h"
#include "server/pending_enrichment.h"
#include "store/store.h"

namespace loupe::server {

class ApiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ApiOptions {
  std::string listen = "127.0.0.1:8080";  // "host:port"; port 0 picks a free one
  std::string ui_dir;                     // built UI; empty or missing -> a help page at /
  std::string token;  // non-empty: every /api/ route needs "Authorization: Bearer <token>"
  // False (`loupe run`): the ingest routes refuse every request; the
  // embedded agent pushes to the queue directly.
  bool remote_ingest = true;
  // Refuse requests whose Host or Origin is not this machine (DNS rebinding).
  bool local_only = false;
  std::string tls_cert_pem;  // both set: HTTPS
  std::string tls_key_pem;
  http::Limits limits;
  // Agent health for /api/v1/status ("agent" key): kernel features, probes,
  // events seen/dropped... Called on the HTTP thread; must be thread-safe.
  std::function<nlohmann::json()> status_provider;
  // The store backend for /api/v1/status ("store.backend": kind, and for
  // ClickHouse its version and insert rate, latency and errors). Unset: not
  // shown. Called on the HTTP thread; must be thread-safe.
  std::function<nlohmann::json()> store_status_provider;
  // GET /api/v1/doctor (the UI's Status page): what `loupe doctor` checks
  // for this process, as `loupe doctor -o json` prints it, without the
  // canary. Unset: 404. Called on the HTTP thread; must be thread-safe.
  std::function<nlohmann::json()> doctor_provider;
  // How long the Kubernetes model keeps deleted pods and old pod IPs for
  // late records (0: 1 h). The store's retention is a good value.
  uint64_t k8s_retention_ns = 0;
  // Serves /api/v1/alerts* and /api/v1/silences when set (outlives the server).
  alerts::Engine* alerts = nullptr;
  // How long a POST /api/v1/ingest batch may wait in the ingest queue
  // before it is answered 503 (agents wait 30 s for an answer). The
  // request waits parked, holding no thread.
  std::chrono::milliseconds ingest_commit_timeout{10'000};
  // What /api/v1/ingest accepts from agents (ingest_decode.h); set
  // retention_ns to the store's retention.
  IngestLimits ingest_limits;
  // Spare record vectors, shared with the ingest queue that gives them back
  // once written: remote batches are decoded into memory already faulted in
  // (record_batch_pool.h). Null: a fresh vector per batch.
  std::shared_ptr<RecordBatchPool> batch_pool;
  // The request histograms GET /metrics serves (the store's record
  // observer; outlives the server). Null: /metrics has Loupe's health only.
  const exporting::RequestMetrics* request_metrics = nullptr;
  // The latest resource samples for GET /metrics, fed by ingest_metrics
  // (outlives the server; may be null).
  exporting::ResourceMetrics* resource_metrics = nullptr;
  // The OTLP exporter's health for /api/v1/status and /metrics (outlives
  // the server; null without --otlp-endpoint).
  const exporting::otlp::Exporter* otlp = nullptr;
  // Told of every batch of log entries once stored (the OTLP exporter;
  // outlives the server; may be null).
  logs::EntryObserver* log_observer = nullptr;
};

class ApiServer {
 public:
  ApiServer(store::Store& store, pipeline::IngestQueue& queue, ApiOptions options);
  ~ApiServer();  // stops
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a background thread. Throws ApiError with a
  // user-facing message when the address cannot be bound.
  void start();
  void stop();
  // "http://127.0.0.1:8080" (the bound port when options.listen asked for 0;
  // https with TLS).
  std::string url() const;
  // The routes it serves (after start()), for the test that compares them
  // with the API's description (server/openapi_document.h).
  const http::Router& router() const { return router_; }

  // Records from an embedded agent (`loupe run`): Kubernetes names from the
  // cluster model, then the ingest queue (records may wait a few seconds
  // for the model to catch up, server/pending_enrichment.h). False when
  // the queue refused them. /api/v1/ingest does the same, but keeps a
  // waiting batch in the store first, so what it acknowledges is durable.
  bool submit(std::vector<Record>&& records, size_t bytes) {
    return pending_->submit(std::move(records), bytes);
  }

  // Names and stores one batch of agent metrics and OOM kills (the kills
  // become events); samples of pods the cluster model does not know yet
  // wait a few seconds for it (server/metric_hold.h). /api/v1/metrics/ingest does this for remote
  // agents; `loupe run` calls it from its sampler. Throws store::StoreError.
  void ingest_metrics(std::vector<MetricSample> samples, const std::vector<OomKill>& kills);

  // Names and stores log entries (repeats skipped); /api/v1/logs/ingest
  // does this for remote agents, `loupe run` for its own log collector.
  // Returns the entries stored. Throws store::StoreError.
  uint64_t ingest_logs(std::vector<logs::Entry> entries);
  // Names and stores per-minute CPU profiles; /api/v1/profile/ingest does
  // this for remote agents (with the part's `key`: a part sent again is
  // stored once), `loupe run` for its own profiler. Returns the samples
  // stored. Throws store::StoreError.
  uint64_t ingest_profiles(std::vector<ProfileMinute> minutes,
                           const std::optional<BatchKey>& key = std::nullopt);

 private:
  void routes();
  // POST /api/v1/ingest: answers once the batch is durable (stored, or held
  // in the store for the cluster model), from the store's writer thread.
  void ingest(const http::Request& req, http::Reply reply);
  // The batch of an ingest request, or nullopt with `refusal` filled (400, 413).
  std::optional<DecodedBatch> decode_ingest(const http::Request& req, http::Response& refusal);
  void request_routes();
  void k8s_routes();
  void metric_routes();
  void agent_routes();
  void log_routes();
  void alert_routes();
  void prometheus_routes();
  void protocol_routes();
  void trace_routes();
  void profile_routes();
  // Stores held metric samples that are due (all: every one, at stop);
  // a store error is logged, there is no agent to answer.
  void release_held_metrics(bool all);
  nlohmann::json metric_hold_status() const;
  http::Handler fallback() const;

  store::Store& store_;
  pipeline::IngestQueue& queue_;
  ApiOptions options_;
  std::unique_ptr<ClusterModel> cluster_;
  std::unique_ptr<AgentStatsBoard> agents_ = std::make_unique<AgentStatsBoard>();
  std::unique_ptr<PendingEnrichment> pending_;
  // Log patterns: resumed from the store at start; patterns_mu_ keeps the
  // store's definitions in the miner's order when ingests run at once.
  std::unique_ptr<logs::PatternMiner> patterns_ = std::make_unique<logs::PatternMiner>();
  std::mutex patterns_mu_;
  // Cleared by stop(): the store's writer answers ingest requests from its
  // own thread, maybe after this server is gone.
  struct Liveness {
    std::mutex mu;
    bool alive = true;
  };
  std::shared_ptr<Liveness> live_ = std::make_shared<Liveness>();
  std::unique_ptr<MetricHold> metric_hold_;  // samples of pods not yet in the model
  http::Router router_;
  std::unique_ptr<http::Server> http_;
  std::chrono::steady_clock::time_point started_;

  // What /api/v1/ingest refused since start, for /api/v1/status.
  struct RejectCounters {
    std::atomic<uint64_t> batches_too_large{0}, bad_batches{0}, oversize_field{0}, bad_time{0};
  };
  RejectCounters rejected_;
  // Agent batches received again after their answer was lost, stored once.
  std::atomic<uint64_t> duplicate_batches_{0};
};

}  // namespace loupe::server
