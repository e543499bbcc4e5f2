// `loupe server`: the store and JSON API alone, no capture. Remote agents
// send their records to POST /api/v1/ingest; `loupe query` and the web UI
// read from it. (`loupe run` embeds the same pieces next to the agent.)
#include <iostream>

#include "cli/commands.h"
#include "cli/doctor/report.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"

namespace loupe::cli {
namespace {

struct ServerFlags {
  ServeFlags serve;
};

int run_server(const ServerFlags& f) {
  // A server captures nothing: its Status page checks only what it needs.
  ServerParts server = open_server(f.serve, RemoteIngest::Open, {}, [data_dir = f.serve.data_dir] {
    return doctor::report_json(doctor::server_checks({.data_dir = data_dir}));
  });
  install_stop_signals();
  server.start();
  std::cerr << "loupe server: serving " << server.api->url() << " (API at /api/v1, "
            << (f.serve.store_url.empty()
                    ? "data in " + f.serve.data_dir
                    : "records in " + f.serve.store_url + ", the rest in " + f.serve.data_dir)
            << (f.serve.state_url.empty() ? "" : ", state in PostgreSQL") << ", retention "
            << f.serve.retention << "); Ctrl-C to stop\n";
  wait_for_stop();
  server.stop();  // writes what is still queued
  auto s = server.queue->stats();
  std::cerr << "loupe server: stopped; " << s.written << " records written, " << s.refused
            << " refused with 503 (agents send those again)\n";
  return kOk;
}

}  // namespace

void register_server(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Store records and serve the JSON API and web UI, without capturing (no root)");
  add_serve_flags(*cmd, f->serve,
                  "every API client must send: remote agents, the cluster collector, the UI, "
                  "loupe query (none: only on a loopback --listen)");
  add_store_flags(*cmd, f->serve);
  cmd->callback([f, &exit_code] { exit_code = run_server(*f); });
}

}  // namespace loupe::cli
