// `loupe agent`: the node agent of a cluster deployment. Captures like
// `loupe trace` and streams the records to `loupe server`.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "agent/exporter.h"
#include "agent/metrics/metrics_shipper.h"
#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/metrics_flags.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"

namespace loupe::cli {
namespace {

struct AgentFlags {
  CaptureFlags capture;
  MetricsFlags metrics;
  std::string server;
  std::string node_name;
  std::string token_file;
};

std::string default_node_name() {
  if (const char* env = std::getenv("NODE_NAME"); env && *env) return env;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int run_agent(const AgentFlags& f) {
  std::string node = f.node_name.empty() ? default_node_name() : f.node_name;
  std::string token = read_token(f.token_file);
  Exporter exporter({.server_url = f.server, .token = token});
  metrics::MetricsShipper shipper({.server_url = f.server, .token = token});
  std::unique_ptr<metrics::MetricsSampler> sampler;
  if (auto options = metrics_options(f.metrics, node))
    sampler = std::make_unique<metrics::MetricsSampler>(
        *options, [&shipper](std::vector<MetricSample>& samples, std::vector<OomKill>& kills) {
          shipper.ship(samples, kills);
        });
  std::vector<Record> pending;
  Agent agent(
      agent_options(f.capture),
      [&](std::vector<Record>& records) {
        for (Record& r : records) {
          r.node = node;
          pending.push_back(std::move(r));
        }
        records.clear();
      },
      [&] {
        if (!pending.empty()) exporter.push(pending);
      });
  install_stop_signals();
  agent.start();
  if (sampler) sampler->start();
  std::cerr << "loupe agent: node " << node << ", sending to " << f.server << "\n";
  wait_for_stop();
  if (sampler) sampler->stop();
  agent.stop();
  ExporterStats s = exporter.stats();
  std::cerr << "loupe agent: " << agent.counters().records << " records, " << s.sent << " sent, "
            << s.buffered << " still buffered, " << s.dropped << " dropped\n";
  return kOk;
}

}  // namespace

void register_agent(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Node agent: capture requests on this node and send them to a Loupe server");
  cmd->add_option("--server", flags->server, "Loupe server URL, e.g. http://loupe-server:8080")
      ->envname("LOUPE_SERVER")
      ->required();
  cmd->add_option("--node-name", flags->node_name,
                  "Kubernetes node name (default: $NODE_NAME, then the hostname)");
  add_token_flag(*cmd, flags->token_file, "to send to the server");
  add_capture_flags(*cmd, flags->capture);
  add_metrics_flags(*cmd, flags->metrics);
  cmd->callback([flags, &exit_code] { exit_code = run_agent(*flags); });
}

}  // namespace loupe::cli
