#include "server/api_json.h"

#include "core/record_json.h"
#include "core/span_id.h"
#include "traces/assembler.h"

namespace loupe::server {

namespace {

void put_red(nlohmann::json& j, const store::RedSummary& r) {
  j["requests"] = r.requests;
  j["errors"] = r.errors;
  j["error_rate"] = r.error_rate;
  j["rate_per_s"] = r.rate_per_s;
  j["active_rate_per_s"] = r.active_rate_per_s;
  j["p50_ms"] = r.p50_ms;
  j["p95_ms"] = r.p95_ms;
  j["p99_ms"] = r.p99_ms;
}

}  // namespace

nlohmann::json to_json(const store::ServiceSummary& s) {
  nlohmann::json j{{"name", s.name}, {"kind", s.kind}, {"ports", s.ports}};
  put_red(j, s.red);
  if (!s.series.empty()) {
    auto& series = j["series"] = nlohmann::json::array();
    for (const auto& p : s.series) series.push_back(to_json(p));
  }
  return j;
}

nlohmann::json to_json(const store::EndpointSummary& e) {
  nlohmann::json j{{"service", e.service},
                   {"method", e.method},
                   {"route", e.route},
                   {"protocol", to_string(e.protocol)}};
  put_red(j, e.red);
  return j;
}

nlohmann::json to_json(const store::LatencyPoint& p) {
  // No requests: no latency (null), so a chart draws a gap, not 0 ms.
  return {{"t", p.t},
          {"value_ms", p.count ? nlohmann::json(p.value_ms) : nlohmann::json(nullptr)},
          {"count", p.count},
          {"errors", p.errors}};
}

nlohmann::json to_json(const store::StoredRequest& r) {
  nlohmann::json j = record_to_json(r.record);
  j["id"] = std::to_string(r.id);  // a string: JavaScript numbers lose int64 digits
  j["k8s_service"] = r.record.service();
  j["service"] = r.service;
  j["counted"] = r.counted;
  j["caller"] = r.caller;
  j["span_id"] = span_id_hex(span_id_of(r.record));
  j["trace_ref"] = traces::TraceAssembler::reference(r.record);  // GET /api/v1/traces/{trace_ref}
  return j;
}

nlohmann::json to_json(const store::StoreStats& s, const pipeline::IngestStats& i) {
  return {{"records_stored", s.records_stored},
          {"store_size_bytes", s.store_size_bytes},
          {"metric_samples_skipped", s.metric_samples_skipped},
          {"ingest",
           {{"accepted", i.accepted},
            {"dropped", i.dropped},
            {"write_dropped", i.write_dropped},
            {"refused", i.refused},
            {"written", i.written},
            {"queued", i.queued},
            {"queued_bytes", i.queued_bytes},
            {"write_errors", i.write_errors},
            {"last_error", i.last_error}}}};
}

nlohmann::json losses_json(const std::vector<store::LossMinute>& minutes) {
  uint64_t records = 0, events = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& m : minutes) {
    records += m.records;
    events += m.events;
    rows.push_back({{"t", m.minute_s}, {"records", m.records}, {"events", m.events}});
  }
  return {{"records", records}, {"events", events}, {"minutes", rows}};
}

std::string ingest_failure_message(const pipeline::CommitResult& r) {
  switch (r.outcome) {
    case pipeline::CommitOutcome::Committed:
      return "";
    case pipeline::CommitOutcome::QueueFull:
      return "ingest queue is full; retry later";
    case pipeline::CommitOutcome::StoreFailed:
      return "the store could not write the batch (" + r.error + "); nothing was kept, retry later";
    case pipeline::CommitOutcome::TimedOut:
      return "the store did not commit the batch in time; retry later";
    case pipeline::CommitOutcome::Stopped:
      return "the server is shutting down; retry later";
  }
  return "not stored; retry later";
}

nlohmann::json to_json(const store::MapEdge& e) {
  nlohmann::json protocols = nlohmann::json::array();
  for (Protocol p : e.protocols) protocols.push_back(to_string(p));
  nlohmann::json j{{"caller", e.caller},
                   {"caller_kind", e.caller_kind},
                   {"callee", e.callee},
                   {"callee_kind", e.callee_kind},
                   {"protocol", protocols.size() == 1 ? protocols[0] : nlohmann::json("mixed")},
                   {"protocols", protocols}};
  put_red(j, e.red);
  return j;
}

nlohmann::json k8s_status_json(const ClusterModel& model, const PendingEnrichmentStats& pending) {
  auto c = model.counts();
  return {{"active", model.active()},
          {"pods", c.pods},
          {"services", c.services},
          {"workloads", c.workloads},
          {"nodes", c.nodes},
          {"skipped_objects", c.skipped + model.collector_skipped()},
          {"enrichment",
           {{"waiting", pending.held},
            {"named", pending.released},
            {"timed_out", pending.timed_out},
            {"overflowed", pending.overflowed},
            {"lost_queue_full", pending.sink_refused}}}};
}

nlohmann::json error_json(const std::string& message, const std::string& parameter) {
  nlohmann::json j{{"error", message}};
  if (!parameter.empty()) j["parameter"] = parameter;
  return j;
}

}  // namespace loupe::server
