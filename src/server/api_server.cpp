#include "server/api_server.h"

#include <iostream>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_json.h"
#include "server/api_params.h"
#include "server/http/static_files.h"
#include "server/ingest_decode.h"
#include "server/static_ui.h"
#include "store/service_identity.h"

namespace loupe::server {

using nlohmann::json;

ApiServer::ApiServer(store::Store& store, store::IngestQueue& queue, ApiOptions options)
    : store_(store),
      queue_(queue),
      options_(std::move(options)),
      cluster_(std::make_unique<ClusterModel>(store, options_.k8s_retention_ns)),
      pending_(std::make_unique<PendingEnrichment>(*cluster_, [&queue](std::vector<Record>&& r) {
        size_t n = r.size();
        return queue.push(std::move(r)) == n;  // the rest is dropped and counted
      })) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  auto hp = store::split_host_port(options_.listen);
  if (!hp)
    throw ApiError("'" + options_.listen +
                   "' is not an address: use HOST:PORT, e.g. 127.0.0.1:8080");
  if (std::string msg = cluster_->restore(); !msg.empty()) std::cerr << "loupe: " << msg << "\n";
  routes();
  pending_->start();
  std::vector<std::string> closed_paths;
  if (!options_.remote_ingest)
    closed_paths = {"/api/v1/ingest", "/api/v1/k8s/ingest", "/api/v1/metrics/ingest",
                    "/api/v1/agents/stats"};
  http_ = std::make_unique<http::Server>(
      router_, http::ServerOptions{
                   .listen = options_.listen,
                   .tls_cert_pem = options_.tls_cert_pem,
                   .tls_key_pem = options_.tls_key_pem,
                   .limits = options_.limits,
                   .access = {.token = options_.token,
                              .local_only = options_.local_only,
                              .listen_host = hp->first,
                              .closed_paths = closed_paths,
                              .closed_reason = "this Loupe takes no remote ingest (loupe run "
                                               "without a token captures locally only); send "
                                               "to a `loupe server`, or give loupe run "
                                               "--token-file"}});
  try {
    http_->start();
  } catch (const http::StartError& e) {
    throw ApiError(e.what());
  }
  started_ = std::chrono::steady_clock::now();
}

void ApiServer::stop() {
  if (http_) http_->stop();
  pending_->stop();  // what waits for the cluster model goes to the queue now
}

std::string ApiServer::url() const { return http_ ? http_->url() : ""; }

void ApiServer::routes() {
  auto& s = router_;

  s.get("/api/v1/services", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json out = json::array();
          auto services = store_.services(range);
          keep_busiest(services, get_list_limit(req.params));
          for (const auto& svc : services) out.push_back(to_json(svc));
          send_json(res, out);
        }));

  s.get("/api/v1/endpoints", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json out = json::array();
          auto endpoints = store_.endpoints(get_string(req.params, "service"), range);
          keep_busiest(endpoints, get_list_limit(req.params));
          for (const auto& e : endpoints) out.push_back(to_json(e));
          send_json(res, out);
        }));

  s.get("/api/v1/latency", json_handler([this](const http::Request& req, http::Response& res) {
          store::LatencyQuery q;
          q.service = require_string(req.params, "service");
          q.route = get_string(req.params, "route");
          q.method = get_string(req.params, "method");
          q.quantile = get_quantile(req.params);
          q.range = get_range(req.params, now_unix_ns());
          q.step_s = get_step(req.params, q.range);
          json out = json::array();
          for (const auto& p : store_.latency(q)) out.push_back(to_json(p));
          send_json(res, out);
        }));

  s.get("/api/v1/requests", json_handler([this](const http::Request& req, http::Response& res) {
          store::RequestQuery q;
          q.service = get_string(req.params, "service");
          q.route = get_string(req.params, "route");
          q.status = get_status(req.params);
          q.protocol = get_protocol(req.params);
          q.min_duration_ns = get_min_duration_ns(req.params);
          q.range = get_range(req.params, now_unix_ns());
          q.limit = get_limit(req.params);
          json out = json::array();
          for (const auto& r : store_.requests(q)) out.push_back(to_json(r));
          send_json(res, out);
        }));

  s.get("/api/v1/map", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json edges = json::array();
          auto map = store_.map(range);
          keep_busiest(map, get_list_limit(req.params));
          for (const auto& e : map) edges.push_back(to_json(e));
          send_json(res, json{{"edges", edges}});
        }));

  s.get("/api/v1/status", json_handler([this](const http::Request&, http::Response& res) {
          auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
          json out{{"version", LOUPE_VERSION},
                   {"uptime_s", uptime.count()},
                   {"agent", options_.status_provider ? options_.status_provider() : json(nullptr)},
                   {"agents", agents_->to_json(now_unix_ns())},
                   {"store", to_json(store_.stats(), queue_.stats())},
                   {"k8s", k8s_status_json(*cluster_, pending_->stats())},
                   {"alerts", options_.alerts ? options_.alerts->status() : json(nullptr)},
                   {"ingest_rejected",
                    {{"batches_too_large", rejected_.batches_too_large.load()},
                     {"bad_batches", rejected_.bad_batches.load()},
                     {"records_oversize_field", rejected_.oversize_field.load()},
                     {"records_bad_time", rejected_.bad_time.load()}}}};
          send_json(res, out);
        }));

  s.post("/api/v1/ingest", json_handler([this](const http::Request& req, http::Response& res) {
           // The HTTP layer has checked the token and undone Content-Encoding.
           DecodedBatch batch;
           try {
             batch = decode_ingest_body(req.body, options_.ingest_limits, now_unix_ns());
           } catch (const BatchTooLarge& e) {
             ++rejected_.batches_too_large;
             json err = error_json(e.what(), e.parameter());
             err["max_records"] = e.max_records;
             send_json(res, err, 413);
             return;
           } catch (const ParamError&) {
             ++rejected_.bad_batches;
             throw;
           }
           rejected_.oversize_field += batch.rejected.oversize_field;
           rejected_.bad_time += batch.rejected.bad_time;
           auto records = std::move(batch.records);
           size_t n = records.size();
           if (cluster_->active()) {
             // Records wait for the cluster model (server/pending_enrichment.h)
             // and are acknowledged before they are stored (docs/storage.md).
             if (!pending_->submit(std::move(records))) {
               res.set_header("Retry-After", "1");
               send_json(res, error_json("ingest queue is full; retry later"), 503);
               return;
             }
           } else {
             // Answer only once the batch is committed: a 2xx means durable.
             auto result = queue_.commit(std::move(records), options_.ingest_commit_timeout);
             if (result.outcome != store::CommitOutcome::Committed) {
               res.set_header("Retry-After", "1");
               send_json(res, error_json(ingest_failure_message(result)), 503);
               return;
             }
           }
           // Rejected records are the agent's fault and retrying cannot fix
           // them: the batch is answered, with what was left out and why.
           send_json(res, json{{"accepted", n},
                               {"rejected", batch.rejected.total()},
                               {"rejected_by_reason",
                                {{"oversize_field", batch.rejected.oversize_field},
                                 {"bad_time", batch.rejected.bad_time}}}});
         }));

  s.get("/api/v1/losses", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          send_json(res, losses_json(store_.losses(range)));
        }));

  k8s_routes();
  metric_routes();
  agent_routes();
  alert_routes();
  prometheus_routes();

  s.set_fallback(fallback());
}

// What no route takes: API paths get a JSON 404, everything else is the web UI.
http::Handler ApiServer::fallback() const {
  auto ui = std::make_shared<http::StaticFiles>(options_.ui_dir);
  bool have_ui = ui_available(options_.ui_dir);
  std::string no_ui = no_ui_page(options_.ui_dir);
  return [ui, have_ui, no_ui](const http::Request& req, http::Response& res) {
    if (req.path.starts_with("/api/")) {
      res.set_error(404, "no such API endpoint: " + req.method + " " + req.path);
      return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      res.set_error(405, "the web UI only answers GET");
      return;
    }
    if (!have_ui) {
      if (req.path != "/") return res.set_error(404, "no such page: " + req.path);
      res.set_content(no_ui, "text/html; charset=utf-8");
      res.set_header("Cache-Control", "no-cache");
      return;
    }
    // Files first; any other GET is a client-side route of the single-page
    // app, which index.html handles.
    if (auto file = ui->file(req)) {
      res = std::move(*file);
      return;
    }
    res = ui->index();
  };
}

}  // namespace loupe::server
