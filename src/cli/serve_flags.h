// What `loupe run` and `loupe server` share: the flags of the store and API
// server, and the pieces they open from them. (`loupe agent` shares the
// token flag.)
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "alerts/engine.h"
#include "cli/otlp_flags.h"
#include "pipeline/ingest_queue.h"
#include "server/api_server.h"
#include "store/store.h"

namespace loupe::cli {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "/var/lib/loupe";
  // `loupe server --store`: a clickhouse:// URL keeps records in ClickHouse
  // (docs/storage-clickhouse.md); empty: everything in the embedded store.
  std::string store_url;
  // `loupe server --state`: a postgres:// URL keeps alert state, silences,
  // held batches and the Kubernetes history in PostgreSQL, shared by
  // replicas (docs/storage-postgres.md); empty: in the embedded store.
  std::string state_url;
  bool migrate = false;  // --migrate: create or upgrade the --store/--state schemas first
  // --spool-max: what the ClickHouse spool keeps while ClickHouse is away
  // (the agent's own spool flag has the same name).
  std::string spool_max = "1G";
  std::string retention = "24h";
  std::string ui_dir;
  size_t queue_records = 1'000'000;  // a burst of a few seconds at full speed
  std::string alerts_file;           // empty: the built-in rules alone
  std::string alerts_eval_interval = "15s";
  size_t max_routes_per_service = 500;
  size_t max_services_per_host = 1000;
  size_t prometheus_max_series = 2000;  // request-metric label sets on /metrics
  std::string token_file;
  bool insecure = false;  // serve without a token on a non-loopback address
  std::string tls_cert;   // PEM files; both or neither
  std::string tls_key;
  server::http::Limits limits;
  OtlpFlags otlp;
};

// --listen, --data-dir, --retention, --ui-dir, --queue-records, --alerts,
// --alerts-eval-interval, --max-routes-per-service, --max-services-per-host,
// --prometheus-max-series, the --otlp-* flags,
// --token-file, --insecure, --tls-cert, --tls-key and the connection and body
// limits. `token_what_for` says in --help who must send the token.
void add_serve_flags(CLI::App& cmd, ServeFlags& flags, const std::string& token_what_for);

// --token-file PATH, falling back to $LOUPE_TOKEN.
void add_token_flag(CLI::App& cmd, std::string& token_file, const std::string& what_for);
// --ca-file PATH: the CA bundle that verifies an https:// --server.
void add_ca_file_flag(CLI::App& cmd, std::string& ca_file);
// The token: the file's content if a file is named, else $LOUPE_TOKEN, without
// surrounding whitespace. Throws CLI::ValidationError for an unreadable or
// empty file.
std::string read_token(const std::string& token_file);

// Refuses what would expose the data: no token on a non-loopback --listen
// (unless --insecure), or a token that ships as an example somewhere
// ("change-me", "token"...). Throws CLI::ValidationError.
void check_exposure(const ServeFlags& flags, const std::string& token);

// `loupe server`'s --store URL, --state URL, --migrate and --spool-max.
void add_store_flags(CLI::App& cmd, ServeFlags& flags);

// The store (embedded, or ClickHouse for records with --store), its ingest queue and the API server
// in front of them, opened from the flags (token from --token-file or $LOUPE_TOKEN, checked with
// check_exposure), with the alert engine; nothing is started yet. Throws CLI::ValidationError (bad
// flag or alerts file), store::StoreError.
struct ServerParts {
  // Before the ingest queue, whose record pipeline reports every record to them.
  std::unique_ptr<exporting::RequestMetrics> request_metrics;
  std::unique_ptr<exporting::otlp::Exporter> otlp;  // with --otlp-endpoint
  std::unique_ptr<store::RecordObservers> observers;
  std::unique_ptr<exporting::ResourceMetrics> resource_metrics;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<pipeline::IngestQueue> queue;
  std::unique_ptr<alerts::Engine> alerts;
  std::unique_ptr<server::ApiServer> api;

  void start();  // the API, then the alert engine (which links to the API's URL)
  void stop();   // the reverse, then writes what is queued and sends it over OTLP
};
// Whether POST /api/v1/ingest, /k8s/ingest and /metrics/ingest are open.
enum class RemoteIngest {
  Open,           // `loupe server`: agents and the collector send here
  WithTokenOnly,  // `loupe run`: its agent is built in; only a token holder
                  // (a `loupe cluster` on a one-node cluster) may send, or
                  // anyone with --insecure
};
// `doctor_provider` answers GET /api/v1/doctor (cli/doctor/report.h).
// `spent_batches`: where the ingest queue returns batches once written,
// for `loupe run`'s agent and the server's remote ingest to fill again;
// null: a pool of the server's own.
ServerParts open_server(const ServeFlags& flags, RemoteIngest remote_ingest,
                        std::function<nlohmann::json()> status_provider,
                        std::function<nlohmann::json()> doctor_provider,
                        std::shared_ptr<RecordBatchPool> spent_batches = nullptr);

}  // namespace loupe::cli
