#include "server/health_metrics.h"

#include <string>
#include <vector>

namespace loupe::server {
namespace {

using exporting::Label;
using exporting::MetricType;
using nlohmann::json;

// A number at `pointer` in `j`, or nothing.
bool number_at(const json& j, const char* pointer, double& out) {
  if (!j.is_object()) return false;
  const json* v = &j;
  std::string_view p(pointer);
  while (!p.empty()) {
    p.remove_prefix(1);  // '/'
    auto end = p.find('/');
    std::string key(p.substr(0, end));
    p = end == std::string_view::npos ? std::string_view() : p.substr(end);
    if (!v->is_object()) return false;
    auto it = v->find(key);
    if (it == v->end()) return false;
    v = &*it;
  }
  if (!v->is_number()) return false;
  out = v->get<double>();
  return true;
}

// One family read from the embedded agent's status at `local` and from
// every remote agent's report at `remote` (either may be null).
struct AgentInputs {
  const json& agent;
  const json& agents;
};

void agent_family(exporting::ExpositionWriter& w, const AgentInputs& in, const char* name,
                  MetricType type, const char* help, const char* local, const char* remote) {
  w.family(name, type, help);
  auto put = [&](std::string_view node, const json& j, const char* pointer) {
    double v = 0;
    if (!pointer || !number_at(j, pointer, v)) return;
    Label l[] = {{"k8s_node_name", node}};
    type == MetricType::Counter ? w.counter(l, v) : w.gauge(l, v);
  };
  put("", in.agent, local);
  if (in.agents.is_object())
    for (const auto& [node, report] : in.agents.items()) put(node, report, remote);
}

void by_reason(exporting::ExpositionWriter& w, const AgentInputs& in, const char* name,
               const char* help, const char* local_prefix, const char* remote_prefix,
               const std::vector<const char*>& reasons) {
  w.family(name, MetricType::Counter, help);
  auto put = [&](std::string_view node, const json& j, const char* prefix) {
    if (!prefix) return;
    for (const char* reason : reasons) {
      double v = 0;
      if (!number_at(j, (std::string(prefix) + "/" + reason).c_str(), v)) continue;
      Label l[] = {{"k8s_node_name", node}, {"reason", reason}};
      w.counter(l, v);
    }
  };
  put("", in.agent, local_prefix);
  if (in.agents.is_object())
    for (const auto& [node, report] : in.agents.items()) put(node, report, remote_prefix);
}

void single(exporting::ExpositionWriter& w, const char* name, MetricType type, const char* help,
            double value, const char* unit = "") {
  w.family(name, type, help, unit);
  type == MetricType::Counter ? w.counter({}, value) : w.gauge({}, value);
}

}  // namespace

void write_agent_health_metrics(exporting::ExpositionWriter& w, const json& agent_status,
                                const json& agent_reports) {
  w.family("loupe_build_info", MetricType::Gauge, "Loupe's version; always 1.");
  Label version[] = {{"version", LOUPE_VERSION}};
  w.gauge(version, 1);
  AgentInputs in{agent_status, agent_reports};

  agent_family(w, in, "loupe_capture_events", MetricType::Counter,
               "Kernel events read from the ring buffer.", "/events_seen", "/capture/events_seen");
  agent_family(w, in, "loupe_capture_events_dropped", MetricType::Counter,
               "Kernel events lost because the ring buffer was full.", "/events_dropped",
               "/capture/ring_buffer_drops");
  agent_family(w, in, "loupe_capture_payloads_truncated", MetricType::Counter,
               "Payloads cut to the capture size.", "/payloads_truncated",
               "/capture/payloads_truncated");
  agent_family(w, in, "loupe_capture_records", MetricType::Counter,
               "Records parsed from captured traffic.", "/records", "/capture/records");
  agent_family(w, in, "loupe_capture_live_connections", MetricType::Gauge,
               "Connections the agent tracks now.", "/live_connections", nullptr);
  by_reason(w, in, "loupe_capture_lost_connections",
            "Connections whose bytes did not all become records, by reason.", "/lost_connections",
            "/capture/lost_connections", {"undetected", "parse_error", "resync"});

  agent_family(w, in, "loupe_agent_records_sent", MetricType::Counter,
               "Records a node agent delivered to the server.", nullptr, "/exporter/sent");
  agent_family(w, in, "loupe_agent_queued_records", MetricType::Gauge,
               "Records waiting in a node agent's memory.", nullptr, "/exporter/queued");
  agent_family(w, in, "loupe_agent_spooled_records", MetricType::Gauge,
               "Records in a node agent's on-disk spool.", nullptr, "/exporter/spooled");
  agent_family(w, in, "loupe_agent_spool_bytes", MetricType::Gauge,
               "Bytes in a node agent's on-disk spool.", nullptr, "/exporter/spool_bytes");
  agent_family(w, in, "loupe_agent_report_age_seconds", MetricType::Gauge,
               "Seconds since a node agent's last stats report.", nullptr, "/age_s");
  by_reason(w, in, "loupe_agent_records_dropped", "Records a node agent dropped, by reason.",
            nullptr, "/exporter/dropped_by_reason",
            {"memory_full", "spool_full", "corrupt_spool", "at_exit", "rejected"});
}

void write_health_metrics(exporting::ExpositionWriter& w, const HealthInputs& in) {
  write_agent_health_metrics(w, in.agent, in.agents);

  const auto& q = in.ingest;
  single(w, "loupe_ingest_records_accepted", MetricType::Counter,
         "Records taken into the ingest queue.", static_cast<double>(q.accepted));
  w.family("loupe_ingest_records_dropped", MetricType::Counter,
           "Records lost before the store: queue_full (capture could not wait), write_failed "
           "(a failed store transaction).");
  Label full[] = {{"reason", "queue_full"}}, failed[] = {{"reason", "write_failed"}};
  w.counter(full, static_cast<double>(q.dropped));
  w.counter(failed, static_cast<double>(q.write_dropped));
  single(w, "loupe_ingest_records_refused", MetricType::Counter,
         "Records of POST /api/v1/ingest batches answered 503 (the agent retries them).",
         static_cast<double>(q.refused));
  single(w, "loupe_ingest_records_written", MetricType::Counter, "Records committed to the store.",
         static_cast<double>(q.written));
  single(w, "loupe_ingest_queue_records", MetricType::Gauge, "Records waiting for the store.",
         static_cast<double>(q.queued));
  single(w, "loupe_ingest_queue_bytes", MetricType::Gauge,
         "Memory of the records waiting for the store.", static_cast<double>(q.queued_bytes),
         "bytes");
  single(w, "loupe_store_write_errors", MetricType::Counter, "Failed store transactions.",
         static_cast<double>(q.write_errors));
  single(w, "loupe_store_records", MetricType::Gauge, "Raw records in the store.",
         static_cast<double>(in.store.records_stored));
  single(w, "loupe_store_size_bytes", MetricType::Gauge, "Size of the store's files.",
         static_cast<double>(in.store.store_size_bytes), "bytes");
}

}  // namespace loupe::server
