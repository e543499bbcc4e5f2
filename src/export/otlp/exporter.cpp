#include "export/otlp/exporter.h"

#include <algorithm>
#include <map>

#include "core/thread_name.h"
#include "core/time_format.h"
#include "export/otlp/log_mapping.h"
#include "export/otlp/metrics_mapping.h"
#include "export/request_metrics.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace loupe::exporting::otlp {
namespace {

namespace collector_trace = opentelemetry::proto::collector::trace::v1;
namespace collector_metrics = opentelemetry::proto::collector::metrics::v1;
namespace collector_logs = opentelemetry::proto::collector::logs::v1;
using Clock = std::chrono::steady_clock;

// Rejected items of a 2xx answer (OTLP partial success), in either encoding.
template <typename Response>
int64_t partially_rejected(const SendResult& r, Encoding e, const char* json_field) {
  if (r.body.empty()) return 0;
  if (e == Encoding::Protobuf) {
    Response response;
    if (!response.ParseFromString(r.body) || !response.has_partial_success()) return 0;
    if constexpr (std::is_same_v<Response, collector_trace::ExportTraceServiceResponse>)
      return response.partial_success().rejected_spans();
    else if constexpr (std::is_same_v<Response, collector_logs::ExportLogsServiceResponse>)
      return response.partial_success().rejected_log_records();
    else
      return response.partial_success().rejected_data_points();
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("partialSuccess")) return 0;
  const auto& v = j["partialSuccess"].value(json_field, nlohmann::json(0));
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

// A stable number in [0, 1) from a trace id, so every Loupe (and every
// sampler keyed the same way) keeps the same traces.
double trace_fraction(std::string_view trace_id) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : trace_id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<double>(h >> 11) / static_cast<double>(uint64_t{1} << 53);
}

// The scope entry (Loupe's) under the resource named `key`, made by
// `add_scope` on first use: items of one resource share one entry.
template <typename Scope, typename AddScope>
Scope* scope_of(std::map<std::string, Scope*>& scopes, std::string key, AddScope add_scope) {
  auto [it, created] = scopes.try_emplace(std::move(key), nullptr);
  if (created) {
    it->second = add_scope();
    it->second->mutable_scope()->set_name("loupe");
    it->second->mutable_scope()->set_version(LOUPE_VERSION);
  }
  return it->second;
}

// ":4318" of "http://host:4318"; the scheme's port when none is given.
std::string collector_port(std::string_view origin) {
  auto colon = origin.rfind(':');
  std::string_view tail = origin.substr(colon + 1);
  if (colon != std::string_view::npos && !tail.empty() &&
      tail.find('/') == std::string_view::npos && tail.find(']') == std::string_view::npos)
    return ":" + std::string(tail);
  return origin.starts_with("https") ? ":443" : ":80";
}

}  // namespace

Exporter::Exporter(ExporterOptions options)
    : options_(std::move(options)),
      sender_(options_.sender),
      start_ns_(now_unix_ns()),
      collector_port_(collector_port(options_.sender.endpoint.origin)),
      sample_rng_(std::random_device{}()),
      id_rng_(std::random_device{}()),
      linker_(options_.link_delay, options_.max_queue_bytes) {}

Exporter::~Exporter() { stop(); }

void Exporter::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    name_this_thread("loupe-otlp");
    run();
  });
}

void Exporter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Exporter::is_export_to_collector(const Record& r) const {
  const std::string& server = r.role == Role::Server ? r.local_addr : r.remote_addr;
  if (!server.ends_with(collector_port_)) return false;
  std::string_view path = r.path;
  std::string_view prefix = options_.sender.endpoint.prefix;
  if (!path.starts_with(prefix)) return false;
  path.remove_prefix(prefix.size());
  return path == "/v1/traces" || path == "/v1/metrics" || path == "/v1/logs";
}

bool Exporter::keep(const SpanSource& s) {
  const Record& r = s.record;
  if (options_.sample_ratio >= 1.0 || r.error || r.duration_ns() >= options_.slow_ns) return true;
  const std::string& trace_id = !s.trace_id.empty() ? s.trace_id : r.trace_id;
  if (!trace_id.empty()) return trace_fraction(trace_id) < options_.sample_ratio;
  return std::uniform_real_distribution<double>(0, 1)(sample_rng_) < options_.sample_ratio;
}

void Exporter::observe(const store::ObservedRecord& o) {
  counters_.observed.fetch_add(1, std::memory_order_relaxed);
  if (is_export_to_collector(o.record)) {
    counters_.own_exports.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    Queued q{SpanSource::from(o), 0};
    q.bytes = q.span.memory_bytes();
    if (stopping_ || queued_bytes_ + q.bytes > options_.max_queue_bytes) {
      counters_.spans.queue_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queued_bytes_ += q.bytes;
    queue_.push_back(std::move(q));
    wake = queue_.size() >= options_.max_batch_spans;
  }
  if (wake) cv_.notify_all();
}

void Exporter::observe(const std::vector<logs::Entry>& stored) {
  if (!options_.export_logs) return;
  counters_.logs_observed.fetch_add(stored.size(), std::memory_order_relaxed);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    for (const logs::Entry& e : stored) {
      size_t bytes = logs::memory_bytes(e);
      if (stopping_ || log_queued_bytes_ + bytes > options_.max_queue_bytes) {
        counters_.log_records.queue_full.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      log_queued_bytes_ += bytes;
      log_queue_.push_back(e);
    }
    wake = log_queue_.size() >= options_.max_batch_spans;
  }
  if (wake) cv_.notify_all();
}

void Exporter::note_error(const std::string& error) {
  std::lock_guard lock(mu_);
  last_error_ = error;
  last_error_ns_ = now_unix_ns();
}

SendResult Exporter::send_with_retries(std::string_view path, const std::string& body,
                                       bool final_pass) {
  auto backoff = options_.first_backoff;
  SendResult r;
  for (int attempt = 1;; ++attempt) {
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    r = sender_.post(path, body);
    if (r.outcome != SendResult::Retry || final_pass || attempt >= options_.max_attempts) return r;
    note_error(r.error + " (retrying)");
    counters_.retries.fetch_add(1, std::memory_order_relaxed);
    // Full jitter on an exponential backoff, or what the server asked for.
    auto wait = r.retry_after.count() > 0
                    ? r.retry_after
                    : std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(
                          backoff.count() / 2, backoff.count())(id_rng_));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return r;  // stop: give up
  }
}

void Exporter::send_spans(std::vector<SpanSource>& batch, bool final_pass) {
  collector_trace::ExportTraceServiceRequest request;
  std::map<std::string, opentelemetry::proto::trace::v1::ScopeSpans*> scopes;
  for (const SpanSource& s : batch) {
    auto* scope = scope_of(scopes, resource_key(s), [&] {
      auto* rs = request.add_resource_spans();
      fill_resource(s, *rs->mutable_resource());
      return rs->add_scope_spans();
    });
    fill_span(s, id_rng_, *scope->add_spans());
  }
  uint64_t n = batch.size();
  SendResult r = send_with_retries("/v1/traces", encode(request, sender_.encoding()), final_pass);
  count_outcome(r, n,
                static_cast<uint64_t>(std::max<int64_t>(
                    0, partially_rejected<collector_trace::ExportTraceServiceResponse>(
                           r, sender_.encoding(), "rejectedSpans"))),
                final_pass, counters_.spans);
}

void Exporter::send_logs(std::vector<logs::Entry>& batch, bool final_pass) {
  collector_logs::ExportLogsServiceRequest request;
  std::map<std::string, opentelemetry::proto::logs::v1::ScopeLogs*> scopes;
  const uint64_t observed_ns = now_unix_ns();
  for (const logs::Entry& e : batch) {
    auto* scope = scope_of(scopes, resource_key(e), [&] {
      auto* rl = request.add_resource_logs();
      fill_resource(e, *rl->mutable_resource());
      return rl->add_scope_logs();
    });
    fill_log_record(e, observed_ns, *scope->add_log_records());
  }
  SendResult r = send_with_retries("/v1/logs", encode(request, sender_.encoding()), final_pass);
  count_outcome(r, batch.size(),
                static_cast<uint64_t>(std::max<int64_t>(
                    0, partially_rejected<collector_logs::ExportLogsServiceResponse>(
                           r, sender_.encoding(), "rejectedLogRecords"))),
                final_pass, counters_.log_records);
}

void Exporter::count_outcome(const SendResult& r, uint64_t n, uint64_t rejected, bool final_pass,
                             Outcomes& to) {
  if (r.outcome == SendResult::Sent) {
    rejected = std::min(rejected, n);
    to.sent.fetch_add(n - rejected, std::memory_order_relaxed);
    to.rejected.fetch_add(rejected, std::memory_order_relaxed);
    return;
  }
  bool stopping = final_pass;
  if (!stopping) {
    std::lock_guard lock(mu_);
    stopping = stopping_;  // a stop cut the retries short
  }
  (r.outcome == SendResult::Rejected ? to.rejected
   : stopping                        ? to.at_exit
                                     : to.failed)
      .fetch_add(n, std::memory_order_relaxed);
  note_error(r.error);
}

std::vector<logs::Entry> Exporter::take_logs(bool flush) {
  std::vector<logs::Entry> batch;
  std::lock_guard lock(mu_);
  if (log_queue_.empty() || (!flush && log_queue_.size() < options_.max_batch_spans)) return batch;
  size_t n = std::min(log_queue_.size(), options_.max_batch_spans);
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    log_queued_bytes_ -= std::min(log_queued_bytes_, logs::memory_bytes(log_queue_.front()));
    batch.push_back(std::move(log_queue_.front()));
    log_queue_.pop_front();
  }
  logs_in_flight_ = batch.size();
  return batch;
}

void Exporter::send_metrics(bool final_pass) {
  if (!options_.metrics) return;
  collector_metrics::ExportMetricsServiceRequest request;
  if (fill_metrics(options_.metrics->snapshot(), start_ns_, now_unix_ns(), request) == 0) return;
  SendResult r = send_with_retries("/v1/metrics", encode(request, sender_.encoding()), final_pass);
  if (r.outcome == SendResult::Sent) {
    counters_.metric_exports.fetch_add(1, std::memory_order_relaxed);
  } else {
    counters_.metric_exports_failed.fetch_add(1, std::memory_order_relaxed);
    note_error(r.error);
  }
}

void Exporter::run() {
  bool metrics_on = options_.metrics && options_.metrics_interval.count() > 0;
  auto next_metrics = Clock::now() + options_.metrics_interval;
  auto next_flush = Clock::now() + options_.flush_interval;
  std::optional<Clock::time_point> deadline;  // set once stopping
  std::deque<Queued> arrived;
  std::vector<SpanSource> batch;
  bool backlog = false;  // the last batch was full: more spans are due
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      auto wake = metrics_on ? std::min(next_flush, next_metrics) : next_flush;
      cv_.wait_until(lock, wake, [&] {
        return stopping_ || backlog || queue_.size() >= options_.max_batch_spans ||
               log_queue_.size() >= options_.max_batch_spans;
      });
      stopping = stopping_;
      if (stopping && !deadline) deadline = Clock::now() + options_.stop_deadline;
      arrived.swap(queue_);
    }
    auto now = Clock::now();
    for (Queued& q : arrived) linker_.add(std::move(q.span), q.bytes, now);
    arrived.clear();
    size_t taken_bytes = 0;
    const bool flush = stopping || now >= next_flush;
    if (stopping || backlog || now >= next_flush)
      batch = linker_.take_due(now, options_.max_batch_spans, stopping, taken_bytes);
    backlog = batch.size() >= options_.max_batch_spans;
    size_t sampled_out = std::erase_if(batch, [this](const SpanSource& s) { return !keep(s); });
    counters_.sampled_out.fetch_add(sampled_out, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      queued_bytes_ -= std::min(queued_bytes_, taken_bytes);
      held_ = linker_.held();
      in_flight_ = batch.size();
    }
    if (now >= next_flush) next_flush = now + options_.flush_interval;
    if (stopping && Clock::now() >= *deadline) {
      // Out of time: what is left is counted, not sent.
      size_t left = batch.size() + linker_.drop_held();
      std::lock_guard lock(mu_);
      counters_.spans.at_exit.fetch_add(left + queue_.size(), std::memory_order_relaxed);
      counters_.log_records.at_exit.fetch_add(log_queue_.size(), std::memory_order_relaxed);
      queue_.clear();
      log_queue_.clear();
      log_queued_bytes_ = 0;
      queued_bytes_ = 0;
      held_ = 0;
      in_flight_ = 0;
      return;
    }
    if (!batch.empty()) {
      send_spans(batch, stopping);
      batch.clear();
      std::lock_guard lock(mu_);
      in_flight_ = 0;
    }
    if (std::vector<logs::Entry> logs = take_logs(flush); !logs.empty()) {
      send_logs(logs, stopping);
      std::lock_guard lock(mu_);
      logs_in_flight_ = 0;
    }
    if (metrics_on && (stopping || Clock::now() >= next_metrics)) {
      send_metrics(stopping);
      next_metrics = Clock::now() + options_.metrics_interval;
      if (stopping) metrics_on = false;  // once at stop
    }
    if (stopping && linker_.held() == 0) {
      std::lock_guard lock(mu_);
      if (queue_.empty() && log_queue_.empty()) return;
    }
  }
}

namespace {

template <typename Outcomes>
nlohmann::json dropped_json(const Outcomes& o) {
  return {{"queue_full", o.queue_full.load()},
          {"rejected", o.rejected.load()},
          {"failed", o.failed.load()},
          {"at_exit", o.at_exit.load()}};
}

}  // namespace

nlohmann::json Exporter::status() const {
  std::lock_guard lock(mu_);
  const Counters& c = counters_;
  return {
      {"endpoint", options_.sender.endpoint.origin + options_.sender.endpoint.prefix},
      {"protocol", to_string(options_.sender.encoding)},
      {"sample_ratio", options_.sample_ratio},
      {"spans",
       {{"observed", c.observed.load()},
        {"own_exports", c.own_exports.load()},
        {"sampled_out", c.sampled_out.load()},
        {"sent", c.spans.sent.load()},
        {"queued", queue_.size() + held_},
        {"queued_bytes", queued_bytes_},
        {"in_flight", in_flight_},
        {"dropped", dropped_json(c.spans)}}},
      {"logs",
       {{"enabled", options_.export_logs},
        {"observed", c.logs_observed.load()},
        {"sent", c.log_records.sent.load()},
        {"queued", log_queue_.size()},
        {"queued_bytes", log_queued_bytes_},
        {"in_flight", logs_in_flight_},
        {"dropped", dropped_json(c.log_records)}}},
      {"metric_exports",
       {{"sent", c.metric_exports.load()}, {"failed", c.metric_exports_failed.load()}}},
      {"requests", c.requests.load()},
      {"retries", c.retries.load()},
      {"last_error", last_error_.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error_)},
      {"last_error_time", last_error_ns_ ? nlohmann::json(format_rfc3339_ns(last_error_ns_))
                                         : nlohmann::json(nullptr)},
  };
}

void Exporter::write(ExpositionWriter& w) const {
  nlohmann::json s = status();
  const auto& spans = s["spans"];
  w.family("loupe_otlp_spans", MetricType::Counter,
           "Spans the OTLP exporter handled, by outcome: sent, sampled_out, and dropped as "
           "queue_full, rejected (4xx or partial success), failed (retries exhausted), at_exit.");
  auto put = [&](std::string_view outcome, double v) {
    Label l[] = {{"outcome", outcome}};
    w.counter(l, v);
  };
  put("sent", spans["sent"].get<double>());
  put("sampled_out", spans["sampled_out"].get<double>());
  for (const auto& [reason, v] : spans["dropped"].items()) put(reason, v.get<double>());
  w.family("loupe_otlp_queue_spans", MetricType::Gauge, "Spans waiting to be sent to OTLP.");
  w.gauge({}, spans["queued"].get<double>() + spans["in_flight"].get<double>());
  w.family("loupe_otlp_queue_bytes", MetricType::Gauge, "Memory of the spans waiting.", "bytes");
  w.gauge({}, spans["queued_bytes"].get<double>());
  const auto& logs = s["logs"];
  w.family("loupe_otlp_log_records", MetricType::Counter,
           "Log entries the OTLP exporter handled, by outcome: sent, and dropped as queue_full, "
           "rejected, failed, at_exit.");
  put("sent", logs["sent"].get<double>());
  for (const auto& [reason, v] : logs["dropped"].items()) put(reason, v.get<double>());
  w.family("loupe_otlp_requests", MetricType::Counter,
           "OTLP export requests sent, retries included.");
  w.counter({}, s["requests"].get<double>());
  w.family("loupe_otlp_retries", MetricType::Counter, "OTLP export requests retried.");
  w.counter({}, s["retries"].get<double>());
}

}  // namespace loupe::exporting::otlp
