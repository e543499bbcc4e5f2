// Sends every record the store commits to an OpenTelemetry collector as a
// span (span_mapping.h), every stored log entry as a log record
// (log_mapping.h), and the request metrics (export/request_metrics.h) as
// OTLP metrics, over OTLP/HTTP (--otlp-endpoint, docs/export.md#otlp).
//
// The store's writer thread (and log ingest) only copies what it observes
// into queues bounded in bytes; a thread of the exporter batches, encodes
// and sends. Nothing waits on the collector: a full queue drops the new
// span or entry and counts it. Every kept span (and entry) ends in exactly
// one counter:
//   kept = sent + dropped{queue_full, rejected, failed, at_exit} + queued + in_flight
// Exchanges with the collector on its OTLP paths are not exported (Loupe
// would otherwise export spans of its own exports, forever).
// Before it is sent, each span waits --otlp-link-delay and is linked into
// its trace (span_linker.h): the parent and trace id /api/v1/traces shows.
// Sampling (--otlp-sample-ratio) then decides per trace id (a trace's spans
// go or stay together, and every Loupe keeps the same traces) and keeps
// every failed or slow exchange whatever the ratio.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "export/exposition.h"
#include "export/otlp/sender.h"
#include "export/otlp/span_linker.h"
#include "export/otlp/span_mapping.h"
#include "logs/entry_observer.h"
#include "store/record_observer.h"

namespace loupe::exporting {
class RequestMetrics;
}

namespace loupe::exporting::otlp {

struct ExporterOptions {
  SenderOptions sender;
  double sample_ratio = 1.0;                  // of traces kept; errors and slow ones always
  uint64_t slow_ns = 1'000'000'000;           // at or above: always kept
  size_t max_queue_bytes = size_t{32} << 20;  // and as much for the records spans link through
  // Spans wait this long for the requests they were made in, which end
  // later (span_linker.h).
  std::chrono::milliseconds link_delay{5'000};
  size_t max_batch_spans = 2048;                    // per request
  std::chrono::milliseconds flush_interval{1'000};  // a partial batch waits at most this
  // Request metrics pushed this often (cumulative); zero or no metrics: none.
  std::chrono::milliseconds metrics_interval{60'000};
  const RequestMetrics* metrics = nullptr;
  bool export_logs = true;                         // send stored log entries to /v1/logs
  int max_attempts = 5;                            // per request, with backoff between
  std::chrono::milliseconds first_backoff{500};    // doubled per retry, jittered, max 30 s
  std::chrono::milliseconds stop_deadline{5'000};  // stop() sends what it can this long
};

class Exporter : public store::RecordObserver, public logs::EntryObserver {
 public:
  explicit Exporter(ExporterOptions options);
  ~Exporter() override;  // stops
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  void start();
  // Sends what is queued (until stop_deadline), counts the rest at_exit.
  void stop();

  void observe(const store::ObservedRecord& r) override;
  void observe(const std::vector<logs::Entry>& stored) override;

  // {"endpoint", "protocol", "spans": {sampled_out, sent, queued, ...},
  //  "metrics": {...}, "last_error", ...} for /api/v1/status.
  nlohmann::json status() const;
  // loupe_otlp_* families for /metrics.
  void write(ExpositionWriter& w) const;

 private:
  // Where each span or log entry handed to the exporter ended.
  struct Outcomes {
    std::atomic<uint64_t> sent{0}, queue_full{0}, rejected{0}, failed{0}, at_exit{0};
  };
  struct Counters {
    std::atomic<uint64_t> observed{0}, own_exports{0}, sampled_out{0}, requests{0}, retries{0},
        metric_exports{0}, metric_exports_failed{0}, logs_observed{0};
    Outcomes spans, log_records;
  };

  bool keep(const SpanSource& s);
  bool is_export_to_collector(const Record& r) const;
  void run();
  // Sends one request, retrying with backoff while the answer says so
  // (only once on the final pass at stop).
  SendResult send_with_retries(std::string_view path, const std::string& body, bool final_pass);
  void send_spans(std::vector<SpanSource>& batch, bool final_pass);
  void send_logs(std::vector<logs::Entry>& batch, bool final_pass);
  // Counts a sent batch of `n` items of which the answer rejected `rejected`.
  void count_outcome(const SendResult& r, uint64_t n, uint64_t rejected, bool final_pass,
                     Outcomes& to);
  // Takes the log entries due now (all when `flush`, else only a full batch).
  std::vector<logs::Entry> take_logs(bool flush);
  void send_metrics(bool final_pass);
  void note_error(const std::string& error);

  ExporterOptions options_;
  Sender sender_;
  uint64_t start_ns_;
  std::string collector_port_;  // ":4318", to know exports to the collector
  std::mt19937_64 sample_rng_;  // exporter thread only
  std::mt19937_64 id_rng_;      // exporter thread only
  SpanLinker linker_;           // exporter thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Queued {
    SpanSource span;
    size_t bytes;  // its memory_bytes() when queued
  };
  std::deque<Queued> queue_;  // arrived, not yet in the linker
  size_t held_ = 0;           // spans in the linker, as last counted
  size_t queued_bytes_ = 0;   // of the queue and the linker
  size_t in_flight_ = 0;
  std::deque<logs::Entry> log_queue_;
  size_t log_queued_bytes_ = 0;
  size_t logs_in_flight_ = 0;
  bool stopping_ = false;
  std::string last_error_;
  uint64_t last_error_ns_ = 0;
  Counters counters_;
  std::thread thread_;
};

}  // namespace loupe::exporting::otlp
