// `loupe agent`: the node agent of a cluster deployment. Captures like
// `loupe trace` and streams the records to `loupe server`, spooling them on
// disk while the server is away.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "agent/exporter.h"
#include "agent/logs/log_shipper.h"
#include "agent/metrics/metrics_shipper.h"
#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/log_flags.h"
#include "cli/metrics_flags.h"
#include "cli/profile_flags.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"
#include "core/gzip.h"
#include "core/memory_trimmer.h"
#include "core/profile_minute.h"
#include "export/exposition.h"
#include "k8s/ingest_client.h"
#include "server/health_metrics.h"
#include "server/http/server.h"

namespace loupe::cli {
namespace {

struct AgentFlags {
  CaptureFlags capture;
  MetricsFlags metrics;
  LogFlags logs;
  ContinuousProfileFlags profile;
  std::string server;
  std::string node_name;
  std::string token_file;
  std::string ca_file;
  std::string spool_dir = "/var/lib/loupe/agent-spool";
  std::string spool_max = "256M";
  std::string queue_max = "64M";
  std::string logs_spool_max = "64M";
  std::string output = "text";
  std::string metrics_listen;  // empty: no /metrics of the agent's own
};

std::string default_node_name() {
  if (const char* env = std::getenv("NODE_NAME"); env && *env) return env;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// What the server and the operator need from the capture side: losses
// before the exporter (ring buffer, parsers) next to the exporter's own.
nlohmann::json capture_stats(const Agent& agent) {
  nlohmann::json s = agent.status();
  uint64_t parse_errors = 0;
  for (const auto& [proto, p] : s["parsers_closed_connections"].items())
    parse_errors += p.value("parse_errors", uint64_t{0});
  const nlohmann::json& lost = s["lost_connections"];
  return {{"events_seen", s["events_seen"]},
          {"ring_buffer_drops", s["events_dropped"]},
          {"payloads_truncated", s["payloads_truncated"]},
          {"records", s["records"]},
          {"parse_errors", parse_errors},
          {"lost_connections",
           {{"undetected", lost.value("undetected", uint64_t{0})},
            {"parse_error", lost.value("parse_error", uint64_t{0})},
            {"resync", lost.value("resync", uint64_t{0})}}},
          {"parsers", s["parsers_closed_connections"]}};
}

// The log path: its collector and how it ships (null: not running).
struct LiveLogs {
  std::atomic<const logs::LogCollector*> collector{nullptr};
  std::atomic<const logs::LogShipper*> shipper{nullptr};
};

using LiveProfiler = std::atomic<const profile::ContinuousProfiler*>;

// The "capture" part of the agent's stats report (and of its /metrics).
nlohmann::json exporter_capture_stats(const std::atomic<const Agent*>& live_agent,
                                      const LiveLogs& live_logs,
                                      const LiveProfiler& live_profiler) {
  const Agent* a = live_agent.load();
  nlohmann::json s = a ? capture_stats(*a) : nlohmann::json::object();
  if (const profile::ContinuousProfiler* p = live_profiler.load()) s["profile"] = p->status();
  if (const logs::LogCollector* l = live_logs.collector.load()) {
    s["logs"] = l->status();
    if (const logs::LogShipper* shipper = live_logs.shipper.load()) shipper->add_status(s["logs"]);
  }
  return s;
}

void print_report(const ExporterStats& s, const nlohmann::json& capture, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"exporter", to_json(s)}, {"capture", capture}}.dump() << "\n";
    return;
  }
  std::cerr << "loupe agent: " << s.captured << " records captured";
  if (s.inherited) std::cerr << " (+" << s.inherited << " spooled by an earlier run)";
  std::cerr << ": " << s.sent << " sent, " << s.spooled << " spooled, " << s.queued << " queued, "
            << s.dropped() << " dropped (memory full " << s.dropped_memory_full << ", spool full "
            << s.dropped_spool_full << ", corrupt spool " << s.dropped_corrupt << ", rejected "
            << s.rejected << ", at exit " << s.dropped_at_exit << "); ring buffer lost "
            << capture.value("ring_buffer_drops", uint64_t{0}) << " events, parsers "
            << capture.value("parse_errors", uint64_t{0}) << " errors\n";
}

// GET /metrics on --metrics-listen: the agent's own health, the families
// the server shows for each agent (server/health_metrics.h) from the same
// report the agent sends it, labelled with this node. No token: counters
// only, no captured data.
struct HealthListener {
  server::http::Router router;
  std::unique_ptr<server::http::Server> server;

  HealthListener(const std::string& listen, const std::string& node,
                 std::function<nlohmann::json()> report) {
    router.get("/metrics", [node, report = std::move(report)](const server::http::Request& req,
                                                              server::http::Response& res) {
      auto format = exporting::negotiate_format(req.header("Accept"));
      exporting::ExpositionWriter w(format);
      server::write_agent_health_metrics(w, nullptr, {{node, report()}});
      res.set_content(w.finish(), std::string(exporting::content_type(format)));
    });
    server = std::make_unique<server::http::Server>(
        router, server::http::ServerOptions{.listen = listen, .limits = {.threads = 1}});
  }
};

// The memory queue must hold a few closed batches: past half of it they go
// to the spool one by one, past all of it the oldest is dropped, so a queue
// of one batch would drop each batch as it closes, before it could spill.
uint64_t queue_max_flag(const std::string& text) {
  constexpr uint64_t kMinBatches = 4;
  uint64_t n = size_flag("--queue-max", text, false);
  uint64_t min = kMinBatches * ExporterOptions{}.batch_bytes;
  if (n < min)
    throw CLI::ValidationError(
        "--queue-max", "at least " + std::to_string(min >> 20) + "M (four batches of up to " +
                           std::to_string((min / kMinBatches) >> 20) + "M), got '" + text + "'");
  return n;
}

int run_agent(const AgentFlags& f) {
  std::string node = f.node_name.empty() ? default_node_name() : f.node_name;
  uint64_t spool_max = size_flag("--spool-max", f.spool_max, true);
  k8s::ServerEndpoint server{f.server, read_token(f.token_file), f.ca_file};
  std::atomic<const Agent*> live_agent{nullptr};
  LiveLogs live_logs;
  LiveProfiler live_profiler{nullptr};
  ExporterOptions opts{.server = server,
                       .node = node,
                       .spool_dir = spool_max ? f.spool_dir : std::string(),
                       .spool_max_bytes = spool_max,
                       .memory_max_bytes = queue_max_flag(f.queue_max),
                       .capture_stats = [&live_agent, &live_logs, &live_profiler] {
                         return exporter_capture_stats(live_agent, live_logs, live_profiler);
                       }};
  std::unique_ptr<Exporter> exporter;
  try {
    exporter = std::make_unique<Exporter>(std::move(opts));
  } catch (const SpoolError& e) {
    std::cerr << "loupe agent: " << e.what() << " (--spool-max 0 runs without a spool)\n";
    return kFailure;
  }
  metrics::MetricsShipper shipper(
      {.server_url = server.url, .token = server.token, .ca_file = server.ca_file});
  std::unique_ptr<metrics::MetricsSampler> sampler;
  if (auto options = metrics_options(f.metrics, node))
    sampler = std::make_unique<metrics::MetricsSampler>(
        *options, [&shipper](std::vector<MetricSample>& samples, std::vector<OomKill>& kills) {
          shipper.ship(samples, kills);
        });
  MemoryTrimmer trimmer;  // hands back what bursts freed (core/memory_trimmer.h)
  // Records are encoded on the pump as they are built (with this node) and
  // the exporter takes the encoded batches whole.
  Agent agent(agent_options(f.capture),
              Agent::EncodedSink{[&](EncodedRecords& batch) { exporter->push(batch); }, node});
  std::unique_ptr<logs::LogShipper> log_shipper;
  std::unique_ptr<logs::LogCollector> log_collector;
  try {
    uint64_t logs_spool_max = size_flag("--logs-spool-max", f.logs_spool_max, true);
    log_shipper = std::make_unique<logs::LogShipper>(
        logs::LogShipperOptions{.spool_dir = logs_spool_max ? f.spool_dir + "/logs" : "",
                                .spool_max_bytes = logs_spool_max},
        [&server](const std::string& body, std::string& error) {
          return k8s::post_gzip_json(server, "/api/v1/logs/ingest", body, &error);
        });
    log_collector = start_log_collector(
        f.logs, node,
        [&log_shipper](std::vector<logs::Entry>& batch, std::string& error) {
          return log_shipper->deliver(batch, error);
        },
        [&log_shipper] { log_shipper->replay(); });
  } catch (const SpoolError& e) {
    std::cerr << "loupe agent: " << e.what() << " (--logs-spool-max 0 runs without a log spool)\n";
    return kFailure;
  } catch (const std::exception& e) {
    std::cerr << "loupe agent: " << e.what()
              << " (remove it to read the log files from their start)\n";
    return kFailure;
  }
  std::unique_ptr<HealthListener> health;
  if (!f.metrics_listen.empty()) {
    try {
      health = std::make_unique<HealthListener>(f.metrics_listen, node, [&] {
        return nlohmann::json{
            {"exporter", to_json(exporter->stats())},
            {"capture", exporter_capture_stats(live_agent, live_logs, live_profiler)},
            {"memory_trim", to_json(trimmer.stats())}};
      });
      health->server->start();
    } catch (const server::http::StartError& e) {
      std::cerr << "loupe agent: --metrics-listen: " << e.what() << "\n";
      return kFailure;
    }
  }
  install_stop_signals();
  agent.start();
  if (sampler) sampler->start();
  std::unique_ptr<profile::ContinuousProfiler> profiler = start_profiler(
      f.profile, node,
      [&server, profile_agent = exporter->agent_id() + "/profile"](
          std::vector<ProfileMinute>& minutes, uint64_t seq) {
        // Keyed like record batches, so a part sent again after a lost
        // answer is stored once (docs/storage-clickhouse.md). Written as
        // text and gzipped at level 1, not built as a DOM, dumped and
        // gzipped at zlib's default level by the HTTP client (half the
        // ship's CPU; docs/benchmarks.md, "issue 14, profship").
        std::string body =
            gzip_compress(profile_batch_json_text(minutes, {.agent = profile_agent, .seq = seq}));
        std::string error;
        return k8s::post_gzip_json(server, "/api/v1/profile/ingest", body, &error);
      },
      "loupe agent");
  live_profiler = profiler.get();
  live_agent = &agent;
  live_logs.shipper = log_shipper.get();
  live_logs.collector = log_collector.get();
  std::cerr << "loupe agent: node " << node << ", sending to " << f.server
            << (spool_max ? ", spool " + f.spool_dir : std::string(", no spool")) << "\n";
  wait_for_stop();
  if (health) health->server->stop();
  live_profiler = nullptr;
  if (profiler) profiler->stop();
  if (sampler) sampler->stop();
  live_logs.collector = nullptr;
  if (log_collector) log_collector->stop();
  agent.stop();
  exporter->stop();
  print_report(exporter->stats(), capture_stats(agent), f.output == "json");
  live_agent = nullptr;
  return kOk;
}

}  // namespace

void register_agent(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Node agent: capture requests on this node and send them to a Loupe server");
  cmd->add_option("--server", flags->server,
                  "Loupe server URL, e.g. http://loupe-server:8080 or https://...")
      ->envname("LOUPE_SERVER")
      ->required();
  cmd->add_option("--node-name", flags->node_name,
                  "Kubernetes node name (default: $NODE_NAME, then the hostname)");
  add_token_flag(*cmd, flags->token_file, "to send to the server");
  add_ca_file_flag(*cmd, flags->ca_file);
  cmd->add_option("--spool-dir", flags->spool_dir,
                  "Directory keeping records on disk while the server is unreachable; replayed "
                  "in order, also after a restart (one agent per directory)")
      ->capture_default_str();
  cmd->add_option("--spool-max", flags->spool_max,
                  "Bytes the spool may use before its oldest batches are dropped (counted); "
                  "0: no spool")
      ->capture_default_str();
  cmd->add_option("--queue-max", flags->queue_max,
                  "Bytes of records waiting in memory before the oldest batches are dropped "
                  "(counted)")
      ->capture_default_str();
  cmd->add_option("--logs-spool-max", flags->logs_spool_max,
                  "Bytes of log entries kept on disk (in --spool-dir/logs) while the server is "
                  "unreachable, replayed in order; past it the oldest are dropped (counted). 0: "
                  "no log spool, entries wait in their files")
      ->capture_default_str();
  cmd->add_option("-o,--output", flags->output,
                  "Exit report: text (stderr) or json (one object on stdout)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "Serve the agent's own health (events captured and dropped, queue, spool) "
                  "for Prometheus at http://HOST:PORT/metrics (no token: counters only)")
      ->envname("LOUPE_AGENT_METRICS_LISTEN");
  add_capture_flags(*cmd, flags->capture);
  add_metrics_flags(*cmd, flags->metrics);
  add_profile_flags(*cmd, flags->profile);
  add_log_flags(*cmd, flags->logs, {"/var/log/pods/*/*/*.log"},
                "/var/lib/loupe/log-checkpoints.json");
  cmd->callback([flags, &exit_code] { exit_code = run_agent(*flags); });
}

}  // namespace loupe::cli
