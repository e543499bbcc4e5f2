#include "server/api_server.h"

#include <iostream>

#include "core/time_format.h"
#include "server/api_endpoint_map.h"
#include "server/api_handler.h"
#include "server/api_json.h"
#include "server/api_params.h"
#include "server/http/static_files.h"
#include "server/ingest_decode.h"
#include "server/openapi_document.h"
#include "server/static_ui.h"
#include "store/service_identity.h"

namespace loupe::server {

using nlohmann::json;

ApiServer::ApiServer(store::Store& store, pipeline::IngestQueue& queue, ApiOptions options)
    : store_(store),
      queue_(queue),
      options_(std::move(options)),
      cluster_(std::make_unique<ClusterModel>(store, options_.k8s_retention_ns)),
      pending_(std::make_unique<PendingEnrichment>(
          *cluster_,
          [&queue](std::vector<Record>&& r, uint64_t held_id, size_t bytes) {
            if (held_id) {  // acknowledged: stored with its held batch's removal
              queue.release(std::move(r), {held_id}, bytes);
              return true;
            }
            size_t n = r.size();
            return queue.push(std::move(r), bytes) == n;  // the rest is dropped and counted
          })),
      metric_hold_(std::make_unique<MetricHold>(*cluster_, [this](std::vector<MetricSample>&& s) {
        // Named (or given up on) samples: stored, and Prometheus' view updated.
        store_.write_metrics(s);
        if (options_.resource_metrics) options_.resource_metrics->update(s);
      })) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  auto hp = store::split_host_port(options_.listen);
  if (!hp)
    throw ApiError("'" + options_.listen +
                   "' is not an address: use HOST:PORT, e.g. 127.0.0.1:8080");
  if (std::string msg = cluster_->restore(); !msg.empty()) std::cerr << "loupe: " << msg << "\n";
  patterns_->load(store_.all_log_patterns());  // pattern ids go on from the last run's
  // Batches acknowledged before a crash while they waited for the cluster
  // model: named with what the restored model knows, then stored.
  size_t replayed = 0;
  for (auto& batch : store_.held_batches()) {
    replayed += batch.records.size();
    pending_->hold(std::move(batch));
  }
  if (replayed)
    std::cerr << "loupe: storing " << replayed
              << " acknowledged records that waited for Kubernetes names at the last stop\n";
  routes();
  pending_->start();
  std::vector<std::string> closed_paths;
  if (!options_.remote_ingest)
    closed_paths = {"/api/v1/ingest", "/api/v1/k8s/ingest", "/api/v1/metrics/ingest",
                    "/api/v1/profile/ingest", "/api/v1/agents/stats"};
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
  {
    std::lock_guard lock(live_->mu);
    live_->alive = false;
  }
  if (http_) http_->stop();
  pending_->stop();  // what waits for the cluster model goes to the queue now
  release_held_metrics(true);
}

std::string ApiServer::url() const { return http_ ? http_->url() : ""; }

void ApiServer::routes() {
  auto& s = router_;

  s.get("/api/v1/services", json_handler([this](const http::Request& req, http::Response& res) {
          store::ServicesQuery q{.range = get_range(req.params, now_unix_ns())};
          // step: each service's latency and errors per bucket too (sparklines).
          if (get_string(req.params, "step"))
            q.series = store::ServiceSeries{
                .step_s = get_step(req.params, q.range, kMaxServiceSeriesPoints),
                .quantile = get_quantile(req.params)};
          json out = json::array();
          auto services = store_.services(q);
          keep_busiest(services, get_list_limit(req.params));
          for (const auto& svc : services) out.push_back(to_json(svc));
          send_json(res, out);
        }));

  s.get("/api/v1/endpoints", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json out = json::array();
          auto service = get_string(req.params, "service");
          auto endpoints = store_.endpoints(service, range);
          if (!service && !get_with_self(req.params))
            std::erase_if(endpoints,
                          [](const auto& e) { return e.service == store::kSelfService; });
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

  s.get("/api/v1/map", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          if (get_string(req.params, "service") || get_string(req.params, "route")) {
            send_json(res, endpoint_map(store_, req.params, range));
            return;
          }
          json edges = json::array();
          auto map = store_.map(range);
          keep_busiest(map, get_list_limit(req.params));
          for (const auto& e : map) edges.push_back(to_json(e));
          send_json(res, json{{"edges", edges}});
        }));

  s.get("/api/v1/status", json_handler([this](const http::Request&, http::Response& res) {
          auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
          json store = to_json(store_.stats(), queue_.stats());
          if (options_.store_status_provider) store["backend"] = options_.store_status_provider();
          json out{{"version", LOUPE_VERSION},
                   {"uptime_s", uptime.count()},
                   {"agent", options_.status_provider ? options_.status_provider() : json(nullptr)},
                   {"agents", agents_->to_json(now_unix_ns())},
                   {"store", store},
                   {"k8s", k8s_status_json(*cluster_, pending_->stats())},
                   {"metric_samples", metric_hold_status()},
                   {"alerts", options_.alerts ? options_.alerts->status() : json(nullptr)},
                   {"otlp", options_.otlp ? options_.otlp->status() : json(nullptr)},
                   {"ingest_rejected",
                    {{"batches_too_large", rejected_.batches_too_large.load()},
                     {"bad_batches", rejected_.bad_batches.load()},
                     {"records_oversize_field", rejected_.oversize_field.load()},
                     {"records_bad_time", rejected_.bad_time.load()}}},
                   {"ingest_duplicate_batches", duplicate_batches_.load()}};
          send_json(res, out);
        }));

  s.get("/api/v1/doctor", json_handler([this](const http::Request&, http::Response& res) {
          if (!options_.doctor_provider)
            return send_json(res, error_json("this process runs no doctor checks"), 404);
          send_json(res, options_.doctor_provider());
        }));

  s.add_async("POST", "/api/v1/ingest", [this](const http::Request& req, http::Reply reply) {
    ingest(req, std::move(reply));
  });

  s.get("/api/v1/openapi.json", json_handler([](const http::Request&, http::Response& res) {
          send_json(res, openapi_document());
        }));

  s.get("/api/v1/losses", json_handler([this](const http::Request& req, http::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          send_json(res, losses_json(store_.losses(range)));
        }));

  request_routes();
  k8s_routes();
  metric_routes();
  agent_routes();
  log_routes();
  trace_routes();
  profile_routes();
  alert_routes();
  prometheus_routes();
  protocol_routes();

  s.set_fallback(fallback());
}

std::optional<DecodedBatch> ApiServer::decode_ingest(const http::Request& req,
                                                     http::Response& refusal) {
  // The HTTP layer has checked the token and undone Content-Encoding. The
  // Content-Type picks the form: the batch codec's (what `loupe agent`
  // sends), else JSON, whatever it says (curl, scripts, older agents).
  try {
    std::vector<Record> into =
        options_.batch_pool ? options_.batch_pool->take(0) : std::vector<Record>{};
    DecodedBatch batch;
    if (is_batch_codec_body(req.header("Content-Type"))) {
      IngestLimits limits = options_.ingest_limits;
      limits.max_decoded_bytes = options_.limits.max_body_bytes;
      batch = decode_ingest_batch_codec(req.body, limits, now_unix_ns(), std::move(into));
    } else {
      batch = decode_ingest_body(req.body, options_.ingest_limits, now_unix_ns(), std::move(into));
    }
    rejected_.oversize_field += batch.rejected.oversize_field;
    rejected_.bad_time += batch.rejected.bad_time;
    return batch;
  } catch (const BatchTooLarge& e) {
    ++rejected_.batches_too_large;
    json err = error_json(e.what(), e.parameter());
    err["max_records"] = e.max_items;
    send_json(refusal, err, 413);
  } catch (const BodyTooLarge& e) {
    ++rejected_.batches_too_large;
    send_json(refusal, error_json(e.what(), e.parameter()), 413);
  } catch (const UnsupportedBatchVersion& e) {
    ++rejected_.bad_batches;
    send_json(refusal, error_json(e.what(), e.parameter()), 415);
  } catch (const ParamError& e) {
    ++rejected_.bad_batches;
    send_json(refusal, error_json(e.what(), e.parameter()), 400);
  }
  return std::nullopt;
}

void ApiServer::ingest(const http::Request& req, http::Reply reply) {
  http::Response refusal;
  auto batch = decode_ingest(req, refusal);
  if (!batch) return reply(std::move(refusal));
  // Rejected records are the agent's fault and retrying cannot fix them:
  // the batch is answered, with what was left out and why.
  json answer{{"accepted", batch->records.size()},
              {"rejected", batch->rejected.total()},
              {"rejected_by_reason",
               {{"oversize_field", batch->rejected.oversize_field},
                {"bad_time", batch->rejected.bad_time}}}};
  pipeline::RemoteBatch remote{.records = std::move(batch->records), .key = std::move(batch->key)};
  if (pending_->would_hold(remote.records)) {
    // The cluster model has not caught up with these records yet: the
    // store keeps the batch aside (durable, so it can be acknowledged), and
    // stores its records once they are named (server/pending_enrichment.h).
    remote.hold = true;
    remote.arrived_ns = now_unix_ns();
  } else {
    cluster_->enrich(remote.records);
  }
  // Answered once committed, from the store's writer thread; until then
  // the request is parked and holds no HTTP thread.
  queue_.commit_async(std::move(remote), options_.ingest_commit_timeout,
                      [this, live = live_, reply = std::move(reply),
                       answer = std::move(answer)](pipeline::CommitResult result) mutable {
                        http::Response res;
                        if (result.outcome != pipeline::CommitOutcome::Committed) {
                          res.set_header("Retry-After", "1");
                          send_json(res, error_json(ingest_failure_message(result)), 503);
                          return reply(std::move(res));
                        }
                        {
                          std::lock_guard lock(live->mu);
                          // After stop() this server is gone: a held batch waits in the
                          // store for the next start.
                          if (live->alive) {
                            if (result.held.id) pending_->hold(std::move(result.held));
                            duplicate_batches_ += result.duplicate;
                          }
                        }
                        if (result.duplicate) answer["duplicate"] = true;
                        send_json(res, answer);
                        reply(std::move(res));
                      });
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
