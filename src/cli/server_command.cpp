// `loupe server`: the store and JSON API alone, no capture. Remote agents
// send their records to POST /api/v1/ingest; `loupe query` and the web UI
// read from it. (`loupe run` embeds the same pieces next to the agent.)
#include <iostream>

#include "cli/commands.h"
#include "cli/serve_flags.h"
#include "cli/signals.h"

namespace loupe::cli {
namespace {

struct ServerFlags {
  ServeFlags serve;
  std::string token_file;
};

bool is_loopback(const std::string& listen) {
  return listen.starts_with("127.") || listen.starts_with("localhost:") ||
         listen.starts_with("[::1]:");
}

int run_server(const ServerFlags& f) {
  std::string token = read_token(f.token_file);
  ServerParts server = open_server(f.serve, token, {});
  install_stop_signals();
  server.start();
  std::cerr << "loupe server: serving " << server.api->url() << " (API at /api/v1, data in "
            << f.serve.data_dir << ", retention " << f.serve.retention << "); Ctrl-C to stop\n";
  if (token.empty() && !is_loopback(f.serve.listen))
    std::cerr << "loupe server: warning: no token: anyone who can reach " << f.serve.listen
              << " can send records; pass --token-file or set LOUPE_TOKEN\n";
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
  add_serve_flags(*cmd, f->serve);
  add_token_flag(*cmd, f->token_file,
                 "remote agents and the cluster collector must send (none: no authentication)");
  cmd->callback([f, &exit_code] { exit_code = run_server(*f); });
}

}  // namespace loupe::cli
