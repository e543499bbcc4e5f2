// `loupe run`: agent and server in one process on one host. What a newcomer
// tries first: `sudo build/loupe run`, then open the printed URL.
#include <unistd.h>

#include <iostream>

#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/doctor/report.h"
#include "cli/log_flags.h"
#include "cli/metrics_flags.h"
#include "cli/profile_flags.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"
#include "core/memory_trimmer.h"
#include "core/time_format.h"

namespace loupe::cli {
namespace {

struct RunFlags {
  CaptureFlags capture;
  ServeFlags serve;
  MetricsFlags metrics;
  LogFlags logs;
  ContinuousProfileFlags profile;
};

std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int run_all_in_one(const RunFlags& f) {
  if (geteuid() != 0)
    std::cerr << "loupe run: not running as root; loading the eBPF programs will probably fail "
                 "(run with sudo)\n";
  std::unique_ptr<Agent> agent;
  std::unique_ptr<metrics::MetricsSampler> sampler;
  std::unique_ptr<logs::LogCollector> log_collector;
  std::unique_ptr<profile::ContinuousProfiler> profiler;
  MemoryTrimmer trimmer;  // hands back what bursts freed (core/memory_trimmer.h)
  // Batches go from the agent to the ingest queue and, once written, back.
  // The pool's default room (8 vectors): the writer holds a round's
  // hand-overs (8,192 records, or 500 ms: pipeline::IngestOptions) while
  // the pump fills more, and with spares for only two
  // (6 MiB) the pump faulted in fresh vectors every round, 1.8 -> 4.2 µs
  // of CPU per exchange (docs/benchmarks.md, "issue 14, agentrss").
  auto batch_pool = std::make_shared<RecordBatchPool>();
  ServerParts server = open_server(
      f.serve, RemoteIngest::WithTokenOnly,
      [&agent, &sampler, &log_collector, &profiler, &trimmer, &batch_pool] {
        nlohmann::json status = agent->status();
        status["memory_trim"] = to_json(trimmer.stats());
        status["batch_pool"] = to_json(batch_pool->stats());
        status["metrics"] = sampler ? sampler->status() : nlohmann::json(nullptr);
        status["logs"] = log_collector ? log_collector->status() : nlohmann::json(nullptr);
        status["profile"] = profiler ? profiler->status() : nlohmann::json(nullptr);
        return status;
      },
      [data_dir = f.serve.data_dir] {
        return doctor::report_json(doctor::capture_checks({.data_dir = data_dir}));
      },
      batch_pool);
  if (auto options = metrics_options(f.metrics, host_name()))
    sampler = std::make_unique<metrics::MetricsSampler>(
        *options, [&server](std::vector<MetricSample>& samples, std::vector<OomKill>& kills) {
          try {
            server.api->ingest_metrics(std::move(samples), kills);
          } catch (const std::exception& e) {
            std::cerr << "loupe run: storing metrics failed: " << e.what() << "\n";
          }
        });

  AgentOptions agent_opts = agent_options(f.capture);
  agent_opts.batch_pool = batch_pool;
  // Capture ahead of the store writer when CPU is short: the ingest queue
  // absorbs the writer's lag, the ring buffer would lose events instead.
  agent_opts.pump_nice = kPumpNice;
  agent = std::make_unique<Agent>(
      std::move(agent_opts),
      [&](std::vector<Record>&& batch, size_t bytes) {
        // Kubernetes names, if a collector sent any; then the queue, which
        // drops what does not fit (counted per minute) rather than stall capture.
        server.api->submit(std::move(batch), bytes);
      },
      [&](uint64_t lost) { server.queue->count_lost_events(now_unix_ns(), lost); });
  install_stop_signals();
  server.start();
  agent->start();
  if (sampler) sampler->start();
  profiler = start_profiler(
      f.profile, host_name(),
      [&server](std::vector<ProfileMinute>& minutes, uint64_t /*seq*/) {
        try {
          server.api->ingest_profiles(std::move(minutes));
          return true;
        } catch (const std::exception& e) {
          std::cerr << "loupe run: storing profiles failed: " << e.what() << "\n";
          return false;
        }
      },
      "loupe run");
  LogFlags log_flags = f.logs;
  if (log_flags.checkpoint.empty())
    log_flags.checkpoint = f.serve.data_dir + "/log-checkpoints.json";
  try {
    log_collector = start_log_collector(
        log_flags, host_name(), [&server](std::vector<logs::Entry>& batch, std::string& error) {
          try {
            server.api->ingest_logs(std::move(batch));
            return true;
          } catch (const std::exception& e) {
            error = e.what();
            return false;
          }
        });
  } catch (const std::exception& e) {
    std::cerr << "loupe run: " << e.what()
              << " (remove it to read the log files from their start)\n";
    if (profiler) profiler->stop();
    agent->stop();
    server.stop();
    return kFailure;
  }
  std::cerr << "loupe run: capturing every request on this host; storing in " << f.serve.data_dir
            << " (retention " << f.serve.retention << ")\n";
  std::cout << "Loupe is running: open " << server.api->url() << "  (Ctrl-C to stop)" << std::endl;
  wait_for_stop();
  std::cerr << "loupe run: stopping\n";
  if (profiler) profiler->stop();
  if (sampler) sampler->stop();
  if (log_collector) log_collector->stop();
  agent->stop();
  server.stop();
  auto s = server.queue->stats();
  std::cerr << "loupe run: " << agent->counters().records << " records captured, " << s.written
            << " stored, " << s.dropped + s.write_dropped << " dropped\n";
  return kOk;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Capture every request on this host and serve the API and UI (needs root)");
  add_serve_flags(*cmd, flags->serve,
                  "the UI and API clients must send (none: only on a loopback --listen)");
  add_capture_flags(*cmd, flags->capture);
  add_metrics_flags(*cmd, flags->metrics);
  add_log_flags(*cmd, flags->logs, {}, "");
  add_profile_flags(*cmd, flags->profile);
  cmd->callback([flags, &exit_code] { exit_code = run_all_in_one(*flags); });
}

}  // namespace loupe::cli
