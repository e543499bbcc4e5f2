#include "cli/serve_flags.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "alerts/config_file.h"
#include "cli/capture_flags.h"
#include "core/small_file.h"
#include "core/time_format.h"
#include "server/static_ui.h"
#include "store/clickhouse/open_store.h"
#include "store/postgres/state_store.h"
#include "store/service_identity.h"

namespace loupe::cli {
namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string read_file(const std::string& path, const std::string& flag) {
  std::optional<std::string> text = read_small_file(path);
  if (!text) throw CLI::ValidationError(flag, "cannot read " + path + ": " + std::strerror(errno));
  return std::move(*text);
}

// 127.0.0.0/8, ::1 and localhost: reachable from this machine only.
bool is_loopback(const std::string& listen) {
  auto hp = store::split_host_port(listen);
  std::string host = hp ? hp->first : listen;
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Tokens that appear in examples, charts and tutorials: the first ones an
// attacker tries.
bool is_known_default(std::string token) {
  std::transform(token.begin(), token.end(), token.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const char* const kDefaults[] = {"change-me", "changeme", "change_me", "token",
                                          "password",  "secret",   "loupe",     "admin",
                                          "default",   "test",     "example",   "replace-me"};
  return std::any_of(std::begin(kDefaults), std::end(kDefaults),
                     [&](const char* d) { return token == d; });
}

}  // namespace

void add_serve_flags(CLI::App& cmd, ServeFlags& f, const std::string& token_what_for) {
  cmd.add_option("--listen", f.listen, "Address for the API and UI (HOST:PORT)")
      ->envname("LOUPE_LISTEN")
      ->capture_default_str();
  cmd.add_option("--data-dir", f.data_dir, "Where the embedded store keeps its files")
      ->envname("LOUPE_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--retention", f.retention, "How long records are kept (e.g. 24h, 7d)")
      ->envname("LOUPE_RETENTION")
      ->capture_default_str();
  cmd.add_option(
         "--ui-dir", f.ui_dir,
         "Built web UI to serve at / (default: <loupe dir>/../ui/dist, else <loupe dir>/ui)")
      ->envname("LOUPE_UI_DIR");
  cmd.add_option("--queue-records", f.queue_records,
                 "Records buffered before the store; beyond it records are dropped and counted "
                 "(remote agents get 503 and retry)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--alerts", f.alerts_file,
                 "Alert rules and receivers (YAML, docs/alerts.md); the built-in rules run "
                 "without it")
      ->envname("LOUPE_ALERTS");
  cmd.add_option("--alerts-eval-interval", f.alerts_eval_interval,
                 "How often alert rules are evaluated")
      ->capture_default_str();
  cmd.add_option("--max-routes-per-service", f.max_routes_per_service,
                 "Distinct routes kept per service; later ones are stored as {other} (0: no cap)")
      ->capture_default_str();
  cmd.add_option("--max-services-per-host", f.max_services_per_host,
                 "Distinct services kept per host (node, else IP); later ones are stored as "
                 "{other} (0: no cap)")
      ->capture_default_str();
  cmd.add_option("--prometheus-max-series", f.prometheus_max_series,
                 "Request-metric label sets on /metrics; past it routes and operations fold "
                 "into {other} (docs/export.md)")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  add_token_flag(cmd, f.token_file, token_what_for);
  cmd.add_flag("--insecure", f.insecure,
               "Allow serving without a token on a non-loopback --listen address, without the "
               "Host/Origin check, and (loupe run) remote ingest without a token: anyone who "
               "can reach it reads and writes everything");
  auto* cert = cmd.add_option("--tls-cert", f.tls_cert, "PEM certificate (chain): serve HTTPS")
                   ->check(CLI::ExistingFile);
  auto* key = cmd.add_option("--tls-key", f.tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  cmd.add_option_function<size_t>(
         "--max-body-mib", [&f](size_t mib) { f.limits.max_body_bytes = mib << 20; },
         "Largest request body accepted, compressed and after gzip is undone (413 beyond; "
         "default 16)")
      ->check(CLI::Range(1, 1024));
  cmd.add_option("--max-connections", f.limits.max_connections,
                 "Open connections accepted in total; more are refused")
      ->check(CLI::Range(16, 1'000'000))
      ->capture_default_str();
  cmd.add_option("--max-connections-per-client", f.limits.max_connections_per_client,
                 "Open connections accepted from one client IP (raise it behind a proxy that "
                 "carries many agents)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd.add_option("--idle-timeout", f.limits.idle_timeout_s,
                 "Seconds a connection may stay silent before it is closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  add_otlp_flags(cmd, f.otlp);
}

void add_token_flag(CLI::App& cmd, std::string& token_file, const std::string& what_for) {
  cmd.add_option("--token-file", token_file,
                 "File holding the shared bearer token " + what_for + " (default: $LOUPE_TOKEN)");
}

void add_ca_file_flag(CLI::App& cmd, std::string& ca_file) {
  cmd.add_option("--ca-file", ca_file,
                 "PEM file of the CA that signed the server's certificate, for an https:// "
                 "--server (default: the system trust store)")
      ->check(CLI::ExistingFile);
}

std::string read_token(const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("LOUPE_TOKEN");
    return env ? trim(env) : std::string();
  }
  std::string token = trim(read_file(token_file, "--token-file"));
  if (token.empty()) throw CLI::ValidationError("--token-file", token_file + " is empty");
  return token;
}

void check_exposure(const ServeFlags& f, const std::string& token) {
  if (!token.empty() && is_known_default(token))
    throw CLI::ValidationError("--token-file", "the token is a well-known default ('" + token +
                                                   "'); generate one, e.g. openssl rand -hex 32");
  if (token.empty() && !f.insecure && !is_loopback(f.listen))
    throw CLI::ValidationError(
        "--listen", "refusing to serve " + f.listen +
                        " without a token: anyone who can reach it could read every request. "
                        "Pass --token-file (or set LOUPE_TOKEN), listen on 127.0.0.1, or pass "
                        "--insecure");
}

void add_store_flags(CLI::App& cmd, ServeFlags& f) {
  cmd.add_option("--store", f.store_url,
                 "Keep records in ClickHouse: clickhouse://HOST[:PORT]/DB[?user=NAME&"
                 "password_file=PATH] (docs/storage-clickhouse.md); the rest stays in --data-dir. "
                 "Default: everything in the embedded store");
  cmd.add_option("--state", f.state_url,
                 "Keep alert state, silences, held batches and the Kubernetes history in "
                 "PostgreSQL, shared by server replicas: postgres://HOST[:PORT]/DB[?user=NAME&"
                 "password_file=PATH] (docs/storage-postgres.md). Default: in --data-dir");
  cmd.add_flag("--migrate", f.migrate,
               "Create or upgrade the --store and --state databases' schemas, then serve (run "
               "once per upgrade)");
  cmd.add_option("--spool-max", f.spool_max,
                 "With --store: writes kept in <data-dir>/clickhouse-spool while ClickHouse is "
                 "unreachable or refuses them, at most this size (e.g. 512M, 4G); beyond it "
                 "ingest is refused (agents send again) and counted")
      ->capture_default_str();
}

ServerParts open_server(const ServeFlags& f, RemoteIngest remote_ingest,
                        std::function<nlohmann::json()> status_provider,
                        std::function<nlohmann::json()> doctor_provider,
                        std::shared_ptr<RecordBatchPool> spent_batches) {
  std::string token = read_token(f.token_file);
  check_exposure(f, token);
  if (token.empty() && !is_loopback(f.listen))
    std::cerr << "loupe: warning: --insecure: no token; anyone who can reach " << f.listen
              << " can read every request\n";
  auto retention = parse_duration(f.retention);
  if (!retention)
    throw CLI::ValidationError("--retention",
                               "expected a duration like 24h or 7d, got '" + f.retention + "'");
  std::string ui_dir = f.ui_dir.empty() ? server::default_ui_dir() : f.ui_dir;
  if (!server::ui_available(ui_dir))
    std::cerr << "loupe: no web UI in " << ui_dir
              << " (build it with scripts/build-ui.sh or pass --ui-dir); the API works\n";
  auto eval_interval = parse_duration(f.alerts_eval_interval);
  if (!eval_interval || *eval_interval == 0)
    throw CLI::ValidationError("--alerts-eval-interval", "expected a duration like 15s, got '" +
                                                             f.alerts_eval_interval + "'");
  alerts::LoadResult rules = f.alerts_file.empty()
                                 ? alerts::LoadResult{alerts::default_config(), {}}
                                 : alerts::load_config_file(f.alerts_file);
  if (!rules.errors.empty()) {
    std::string msg;
    for (const auto& e : rules.errors) msg += "\n  " + e.text();
    throw CLI::ValidationError("--alerts", f.alerts_file + " has errors:" + msg);
  }
  // One pool for everything that fills record batches (the agent of
  // `loupe run`, remote ingest) and the queue that empties them.
  if (!spent_batches) spent_batches = std::make_shared<RecordBatchPool>();
  ServerParts p;
  p.request_metrics = std::make_unique<exporting::RequestMetrics>(
      exporting::RequestMetricsOptions{.max_series = f.prometheus_max_series});
  p.observers = std::make_unique<store::RecordObservers>();
  p.observers->add(p.request_metrics.get());
  if (auto otlp = otlp_options(f.otlp, p.request_metrics.get())) {
    p.otlp = std::make_unique<exporting::otlp::Exporter>(std::move(*otlp));
    p.observers->add(p.otlp.get());
  }
  p.resource_metrics = std::make_unique<exporting::ResourceMetrics>();
  store::postgres::OpenedState state;
  if (!f.state_url.empty()) state = store::postgres::open_state(f.state_url, f.migrate, *retention);
  store::clickhouse::OpenedStore opened = store::clickhouse::open_store(
      f.store_url, f.data_dir, {.retention_ns = *retention}, f.migrate, std::move(state.state),
      size_flag("--spool-max", f.spool_max, false));
  if (state.status)
    opened.status = [records = std::move(opened.status), shared = std::move(state.status)] {
      nlohmann::json j = records();
      j["state"] = shared();
      return j;
    };
  p.store = std::move(opened.store);
  p.alerts = std::make_unique<alerts::Engine>(
      *p.store,
      f.state_url.empty() ? alerts::open_sqlite_state_store(f.data_dir)
                          : alerts::open_postgres_state_store(f.state_url),
      std::move(rules.config), alerts::EngineOptions{.interval_ns = *eval_interval});
  p.queue = std::make_unique<pipeline::IngestQueue>(
      *p.store, pipeline::IngestOptions{
                    .capacity_records = f.queue_records,
                    .spent_batches = spent_batches,
                    .pipeline = {.resolve = {.max_routes_per_service = f.max_routes_per_service,
                                             .max_services_per_host = f.max_services_per_host,
                                             .self_port =
                                                 [&f] {
                                                   auto hp = store::split_host_port(f.listen);
                                                   return hp ? hp->second : uint16_t{0};
                                                 }()},
                                 .observer = p.observers.get()}});
  p.api = std::make_unique<server::ApiServer>(
      *p.store, *p.queue,
      server::ApiOptions{
          .listen = f.listen,
          .ui_dir = std::move(ui_dir),
          .token = token,
          // A page on any web site can make the browser call
          // 127.0.0.1; without a token only the Host/Origin
          // check keeps it out (DNS rebinding).
          .remote_ingest = remote_ingest == RemoteIngest::Open || !token.empty() || f.insecure,
          .local_only = token.empty() && !f.insecure,
          .tls_cert_pem = f.tls_cert.empty() ? "" : read_file(f.tls_cert, "--tls-cert"),
          .tls_key_pem = f.tls_key.empty() ? "" : read_file(f.tls_key, "--tls-key"),
          .limits = f.limits,
          .status_provider = std::move(status_provider),
          .store_status_provider = std::move(opened.status),
          .doctor_provider = std::move(doctor_provider),
          .k8s_retention_ns = *retention,
          .alerts = p.alerts.get(),
          .ingest_limits = {.retention_ns = *retention},
          .batch_pool = std::move(spent_batches),
          .request_metrics = p.request_metrics.get(),
          .resource_metrics = p.resource_metrics.get(),
          .otlp = p.otlp.get(),
          .log_observer = p.otlp.get()});
  return p;
}

void ServerParts::start() {
  if (otlp) otlp->start();
  api->start();
  alerts->set_ui_base(api->url());
  alerts->start();
}

void ServerParts::stop() {
  alerts->stop();
  api->stop();
  queue->stop();  // writes what is queued
  if (otlp) otlp->stop();
}

}  // namespace loupe::cli
