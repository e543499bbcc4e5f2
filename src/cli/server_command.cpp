// `loupe server`: the store and JSON API alone, no capture. Remote agents
// send their records to POST /api/v1/ingest; `loupe query` and the web UI
// read from it. (`loupe run` embeds the same pieces next to the agent.)
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/time_format.h"
#include "server/api_server.h"
#include "server/static_ui.h"
#include "store/ingest_queue.h"
#include "store/store.h"

namespace loupe::cli {
namespace {

struct ServerFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "/var/lib/loupe";
  std::string retention = "24h";
  std::string token_file;
  std::string ui_dir;
  size_t queue_capacity = 1'000'000;
};

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool is_loopback(const std::string& listen) {
  return listen.starts_with("127.") || listen.starts_with("localhost:") ||
         listen.starts_with("[::1]:");
}

int run_server(const ServerFlags& f) {
  auto retention = parse_duration(f.retention);
  if (!retention) {
    std::cerr << "loupe server: --retention '" << f.retention
              << "' is not a duration: use e.g. 24h, 7d, 90m\n";
    return kUsage;
  }
  // --token-file wins over $LOUPE_TOKEN: flags over environment.
  std::string token;
  if (!f.token_file.empty()) {
    std::ifstream in(f.token_file);
    if (!in) {
      std::cerr << "loupe server: cannot read --token-file " << f.token_file << "\n";
      return kUsage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    token = trim(ss.str());
    if (token.empty()) {
      std::cerr << "loupe server: --token-file " << f.token_file << " is empty\n";
      return kUsage;
    }
  } else if (const char* env = std::getenv("LOUPE_TOKEN")) {
    token = trim(env);
  }

  std::unique_ptr<store::Store> st;
  try {
    st = store::open_sqlite_store(f.data_dir, {.retention_ns = *retention});
  } catch (const store::StoreError& e) {
    std::cerr << "loupe server: " << e.what() << "\n";
    return kMissingPrereq;
  }
  store::IngestQueue queue(*st, {.capacity_records = f.queue_capacity});
  server::ApiOptions opts{.listen = f.listen,
                          .ui_dir = f.ui_dir.empty() ? server::default_ui_dir() : f.ui_dir,
                          .token = token,
                          .status_provider = {},
                          .k8s_retention_ns = *retention};
  server::ApiServer api(*st, queue, opts);
  install_stop_signals();
  try {
    api.start();
  } catch (const server::ApiError& e) {
    std::cerr << "loupe server: " << e.what() << "\n";
    return kMissingPrereq;
  }
  std::cerr << "loupe server: serving " << api.url() << " (API at /api/v1, data in " << f.data_dir
            << ", retention " << f.retention << "); Ctrl-C to stop\n";
  if (token.empty() && !is_loopback(f.listen))
    std::cerr << "loupe server: warning: no token: anyone who can reach " << f.listen
              << " can send records; pass --token-file or set LOUPE_TOKEN\n";
  if (!server::ui_available(opts.ui_dir))
    std::cerr << "loupe server: no web UI in " << opts.ui_dir
              << " (build it with scripts/build-ui.sh or pass --ui-dir)\n";
  wait_for_stop();
  api.stop();
  queue.stop();  // writes what is still queued
  auto s = queue.stats();
  std::cerr << "loupe server: stopped; " << s.written << " records written, " << s.dropped
            << " dropped (queue full)\n";
  return kOk;
}

}  // namespace

void register_server(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Store records and serve the JSON API and web UI, without capturing (no root)");
  cmd->add_option("--listen", f->listen, "Address to serve on (HOST:PORT)")
      ->envname("LOUPE_LISTEN")
      ->capture_default_str();
  cmd->add_option("--data-dir", f->data_dir, "Where the database lives")
      ->envname("LOUPE_DATA_DIR")
      ->capture_default_str();
  cmd->add_option("--retention", f->retention, "Delete records older than this (e.g. 24h, 7d)")
      ->envname("LOUPE_RETENTION")
      ->capture_default_str();
  cmd->add_option("--token-file", f->token_file,
                  "File holding the bearer token remote agents must send to /api/v1/ingest "
                  "(default: $LOUPE_TOKEN; none: no authentication)");
  cmd->add_option("--ui-dir", f->ui_dir,
                  "Built web UI to serve at / (default: <loupe dir>/../ui/dist, else <loupe "
                  "dir>/ui)")
      ->envname("LOUPE_UI_DIR");
  cmd->add_option("--queue-capacity", f->queue_capacity,
                  "Records buffered before ingest answers 503 (agents retry)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([f, &exit_code] { exit_code = run_server(*f); });
}

}  // namespace loupe::cli
