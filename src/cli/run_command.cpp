// `loupe run`: agent and server in one process on one host. What a newcomer
// tries first: `sudo build/loupe run`, then open the printed URL.
#include <unistd.h>

#include <iostream>

#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/metrics_flags.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"
#include "core/time_format.h"

namespace loupe::cli {
namespace {

struct RunFlags {
  CaptureFlags capture;
  ServeFlags serve;
  MetricsFlags metrics;
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
  ServerParts server = open_server(f.serve, RemoteIngest::WithTokenOnly, [&agent, &sampler] {
    nlohmann::json status = agent->status();
    status["metrics"] = sampler ? sampler->status() : nlohmann::json(nullptr);
    return status;
  });
  if (auto options = metrics_options(f.metrics, host_name()))
    sampler = std::make_unique<metrics::MetricsSampler>(
        *options, [&server](std::vector<MetricSample>& samples, std::vector<OomKill>& kills) {
          try {
            server.api->ingest_metrics(std::move(samples), kills);
          } catch (const std::exception& e) {
            std::cerr << "loupe run: storing metrics failed: " << e.what() << "\n";
          }
        });

  agent = std::make_unique<Agent>(
      agent_options(f.capture),
      [&](std::vector<Record>&& batch) {
        // Kubernetes names, if a collector sent any; then the queue, which
        // drops what does not fit (counted per minute) rather than stall capture.
        server.api->submit(std::move(batch));
      },
      [&](uint64_t lost) { server.queue->count_lost_events(now_unix_ns(), lost); });
  install_stop_signals();
  server.start();
  agent->start();
  if (sampler) sampler->start();
  std::cerr << "loupe run: capturing every request on this host; storing in " << f.serve.data_dir
            << " (retention " << f.serve.retention << ")\n";
  std::cout << "Loupe is running: open " << server.api->url() << "  (Ctrl-C to stop)" << std::endl;
  wait_for_stop();
  std::cerr << "loupe run: stopping\n";
  if (sampler) sampler->stop();
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
  cmd->callback([flags, &exit_code] { exit_code = run_all_in_one(*flags); });
}

}  // namespace loupe::cli
