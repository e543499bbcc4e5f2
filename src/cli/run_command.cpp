// `loupe run`: agent and server in one process on one host. What a newcomer
// tries first: `sudo build/loupe run`, then open the printed URL.
#include <unistd.h>

#include <iostream>

#include "cli/capture_flags.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "core/time_format.h"
#include "server/api_server.h"
#include "server/static_ui.h"
#include "store/ingest_queue.h"
#include "store/store.h"

namespace loupe::cli {
namespace {

struct RunFlags {
  CaptureFlags capture;
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "/var/lib/loupe";
  std::string retention = "24h";
  std::string ui_dir;
  size_t queue_records = 200'000;
};

int run_all_in_one(const RunFlags& f) {
  auto retention = parse_duration(f.retention);
  if (!retention)
    throw CLI::ValidationError("--retention",
                               "expected a duration like 24h or 7d, got '" + f.retention + "'");
  if (geteuid() != 0)
    std::cerr << "loupe run: not running as root; loading the eBPF programs will probably fail "
                 "(run with sudo)\n";

  std::unique_ptr<store::Store> store;
  try {
    store = store::open_sqlite_store(f.data_dir, {.retention_ns = *retention});
  } catch (const store::StoreError& e) {
    std::cerr << "loupe run: " << e.what() << "\n";
    return kMissingPrereq;
  }
  // Bounded: at ~0.5 KiB a record this caps the queue near 100 MiB.
  store::IngestQueue queue(*store, {.capacity_records = f.queue_records});

  std::vector<Record> pending;  // one ring-buffer drain's records
  // Set before the agent starts; the agent's flush enriches through it.
  server::ApiServer* api_for_enrich = nullptr;
  Agent agent(
      agent_options(f.capture, 0),
      [&](std::vector<Record>& records) {
        std::move(records.begin(), records.end(), std::back_inserter(pending));
        records.clear();
      },
      [&] {
        if (pending.empty()) return;
        if (api_for_enrich) api_for_enrich->enrich(pending);  // Kubernetes names, if any
        queue.push(std::move(pending));  // drops (counted) rather than stall capture
        pending.clear();
      });

  server::ApiServer api(*store, queue,
                        {.listen = f.listen,
                         .ui_dir = f.ui_dir.empty() ? server::default_ui_dir() : f.ui_dir,
                         .token = "",
                         .status_provider = [&agent] { return agent.status(); },
                         .k8s_retention_ns = *retention});
  api_for_enrich = &api;
  install_stop_signals();
  try {
    api.start();
  } catch (const server::ApiError& e) {
    std::cerr << "loupe run: " << e.what() << "\n";
    return kMissingPrereq;
  }
  try {
    agent.start();
  } catch (const AgentError& e) {
    std::cerr << "loupe run: " << e.what() << "\n";
    return kMissingPrereq;
  }
  std::cerr << "loupe run: capturing every request on this host; storing in " << f.data_dir
            << " (retention " << f.retention << ")\n";
  std::cout << "Loupe is running: open " << api.url() << "  (Ctrl-C to stop)" << std::endl;
  wait_for_stop();
  std::cerr << "loupe run: stopping\n";
  agent.stop();
  api.stop();
  queue.stop();  // writes what is queued
  auto s = queue.stats();
  std::cerr << "loupe run: " << agent.counters().records << " records captured, " << s.written
            << " stored, " << s.dropped << " dropped\n";
  return kOk;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Capture every request on this host and serve the API and UI (needs root)");
  cmd->add_option("--listen", flags->listen, "Address for the API and UI")
      ->envname("LOUPE_LISTEN")
      ->capture_default_str();
  cmd->add_option("--data-dir", flags->data_dir, "Where the embedded store keeps its files")
      ->envname("LOUPE_DATA_DIR")
      ->capture_default_str();
  cmd->add_option("--retention", flags->retention, "How long records are kept (e.g. 24h, 7d)")
      ->envname("LOUPE_RETENTION")
      ->capture_default_str();
  cmd->add_option("--ui-dir", flags->ui_dir, "Built web UI (default: ui/dist beside the binary)");
  cmd->add_option("--queue-records", flags->queue_records,
                  "Records buffered between capture and store before drops")
      ->capture_default_str();
  add_capture_flags(*cmd, flags->capture);
  cmd->callback([flags, &exit_code] { exit_code = run_all_in_one(*flags); });
}

}  // namespace loupe::cli
