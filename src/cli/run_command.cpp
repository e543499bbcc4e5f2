// `loupe run`: agent and server in one process on one host. What a newcomer
// tries first: `sudo build/loupe run`, then open the printed URL.
#include <unistd.h>

#include <iostream>

#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"

namespace loupe::cli {
namespace {

struct RunFlags {
  CaptureFlags capture;
  ServeFlags serve;
};

int run_all_in_one(const RunFlags& f) {
  if (geteuid() != 0)
    std::cerr << "loupe run: not running as root; loading the eBPF programs will probably fail "
                 "(run with sudo)\n";
  std::unique_ptr<Agent> agent;
  ServerParts server = open_server(f.serve, /*token=*/"", [&agent] { return agent->status(); });

  std::vector<Record> pending;  // one ring-buffer drain's records
  agent = std::make_unique<Agent>(
      agent_options(f.capture),
      [&](std::vector<Record>& records) {
        std::move(records.begin(), records.end(), std::back_inserter(pending));
        records.clear();
      },
      [&] {
        if (pending.empty()) return;
        server.api->enrich(pending);             // Kubernetes names, if a collector sent any
        server.queue->push(std::move(pending));  // drops (counted) rather than stall capture
        pending.clear();
      });
  install_stop_signals();
  server.api->start();
  agent->start();
  std::cerr << "loupe run: capturing every request on this host; storing in " << f.serve.data_dir
            << " (retention " << f.serve.retention << ")\n";
  std::cout << "Loupe is running: open " << server.api->url() << "  (Ctrl-C to stop)" << std::endl;
  wait_for_stop();
  std::cerr << "loupe run: stopping\n";
  agent->stop();
  server.api->stop();
  server.queue->stop();  // writes what is queued
  auto s = server.queue->stats();
  std::cerr << "loupe run: " << agent->counters().records << " records captured, " << s.written
            << " stored, " << s.dropped << " dropped\n";
  return kOk;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Capture every request on this host and serve the API and UI (needs root)");
  add_serve_flags(*cmd, flags->serve);
  add_capture_flags(*cmd, flags->capture);
  cmd->callback([flags, &exit_code] { exit_code = run_all_in_one(*flags); });
}

}  // namespace loupe::cli
