#include "server/api_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_json.h"
#include "server/api_params.h"
#include "server/ingest_decode.h"
#include "server/static_ui.h"
#include "store/service_identity.h"

namespace loupe::server {

namespace {

using nlohmann::json;
// Constant-time so response timing does not reveal how much of a guessed
// token was right.
bool token_matches(const std::string& header, const std::string& token) {
  const std::string prefix = "Bearer ";
  if (header.size() != prefix.size() + token.size() || header.compare(0, prefix.size(), prefix))
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(header[prefix.size() + i] ^ token[i]);
  return diff == 0;
}

// Why binding failed, found by trying the bind ourselves: httplib only says
// that it failed.
std::string bind_failure(const std::string& host, int port) {
  std::string addr = host + ":" + std::to_string(port);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return "cannot listen on " + addr + ": unknown host; pass --listen ADDR:PORT";
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  int rc = fd >= 0 ? bind(fd, res->ai_addr, res->ai_addrlen) : -1;
  int err = errno;
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  if (rc == 0) return "cannot listen on " + addr + "; pass --listen";
  if (err == EADDRINUSE) return addr + " is in use; pass --listen";
  if (err == EACCES)
    return "cannot listen on " + addr + ": ports below 1024 need root; pass --listen";
  if (err == EADDRNOTAVAIL)
    return "cannot listen on " + addr + ": no such address on this host; pass --listen";
  return "cannot listen on " + addr + ": " + std::strerror(err) + "; pass --listen";
}

}  // namespace

ApiServer::ApiServer(store::Store& store, store::IngestQueue& queue, ApiOptions options)
    : store_(store),
      queue_(queue),
      options_(std::move(options)),
      cluster_(std::make_unique<ClusterModel>(store, options_.k8s_retention_ns)),
      pending_(std::make_unique<PendingEnrichment>(*cluster_,
                                                   [&queue](std::vector<Record>&& r) {
                                                     size_t n = r.size();
                                                     return queue.push(std::move(r)) ==
                                                            n;  // the rest is dropped and counted
                                                   })),
      http_(std::make_unique<httplib::Server>()) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  auto hp = store::split_host_port(options_.listen);
  if (!hp)
    throw ApiError("'" + options_.listen +
                   "' is not an address: use HOST:PORT, e.g. 127.0.0.1:8080");
  host_ = hp->first;
  if (std::string msg = cluster_->restore(); !msg.empty()) std::cerr << "loupe: " << msg << "\n";
  routes();
  pending_->start();
  if (hp->second == 0) {
    port_ = http_->bind_to_any_port(host_);
    if (port_ <= 0) throw ApiError(bind_failure(host_, 0));
  } else {
    if (!http_->bind_to_port(host_, hp->second)) throw ApiError(bind_failure(host_, hp->second));
    port_ = hp->second;
  }
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // stop() is a no-op on a server that is not yet running, so wait until it
  // is: a stop() right after start() would otherwise leave it serving.
  for (int i = 0; i < 5000 && !http_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void ApiServer::stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  pending_->stop();  // what waits for the cluster model goes to the queue now
}

std::string ApiServer::url() const {
  bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

bool ApiServer::authorized(const httplib::Request& req, httplib::Response& res) const {
  if (options_.token.empty() ||
      token_matches(req.get_header_value("Authorization"), options_.token))
    return true;
  res.set_header("WWW-Authenticate", "Bearer");
  send_json(
      res,
      error_json("missing or wrong token: send Authorization: Bearer <token>", "Authorization"),
      401);
  return false;
}

void ApiServer::routes() {
  auto& s = *http_;
  // httplib's default also sets SO_REUSEPORT, which lets a second Loupe bind
  // the same port and silently split the traffic; SO_REUSEADDR alone keeps
  // fast restarts (TIME_WAIT) working while "in use" stays an error.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Remote agents send up to a few MB per batch; bound it so one client
  // cannot make the server buffer without limit.
  s.set_payload_max_length(64 * 1024 * 1024);

  s.Get("/api/v1/services",
        json_handler([this](const httplib::Request& req, httplib::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json out = json::array();
          auto services = store_.services(range);
          keep_busiest(services, get_list_limit(req.params));
          for (const auto& svc : services) out.push_back(to_json(svc));
          send_json(res, out);
        }));

  s.Get("/api/v1/endpoints",
        json_handler([this](const httplib::Request& req, httplib::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json out = json::array();
          auto endpoints = store_.endpoints(get_string(req.params, "service"), range);
          keep_busiest(endpoints, get_list_limit(req.params));
          for (const auto& e : endpoints) out.push_back(to_json(e));
          send_json(res, out);
        }));

  s.Get("/api/v1/latency",
        json_handler([this](const httplib::Request& req, httplib::Response& res) {
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

  s.Get("/api/v1/requests",
        json_handler([this](const httplib::Request& req, httplib::Response& res) {
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

  s.Get("/api/v1/map", json_handler([this](const httplib::Request& req, httplib::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          json edges = json::array();
          auto map = store_.map(range);
          keep_busiest(map, get_list_limit(req.params));
          for (const auto& e : map) edges.push_back(to_json(e));
          send_json(res, json{{"edges", edges}});
        }));

  s.Get("/api/v1/status", json_handler([this](const httplib::Request&, httplib::Response& res) {
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

  s.Post("/api/v1/ingest",
         json_handler([this](const httplib::Request& req, httplib::Response& res) {
           if (!authorized(req, res)) return;
           // httplib has already undone Content-Encoding: gzip.
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

  s.Get("/api/v1/losses", json_handler([this](const httplib::Request& req, httplib::Response& res) {
          auto range = get_range(req.params, now_unix_ns());
          send_json(res, losses_json(store_.losses(range)));
        }));

  k8s_routes();
  metric_routes();
  agent_routes();
  alert_routes();

  // Errors httplib raises itself (413, 400 on a malformed request...) come
  // without a body; API clients get the same JSON shape as for ours.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || !req.path.starts_with("/api/")) return;
    std::string msg = "HTTP " + std::to_string(res.status);
    if (res.status == 413)
      msg =
          "body too large: at most 64 MiB, and send Content-Type: application/json "
          "(form-encoded bodies are limited to 8 KiB)";
    send_json(res, error_json(msg), res.status);
  });

  auto not_found = [](const httplib::Request& req, httplib::Response& res) {
    send_json(res, error_json("no such API endpoint: " + req.method + " " + req.path), 404);
  };
  s.Get("/api/.*", not_found);
  s.Post("/api/.*", not_found);
  s.Put("/api/.*", not_found);
  s.Delete("/api/.*", not_found);

  if (ui_available(options_.ui_dir)) {
    // Files first (httplib checks mount points before handlers); any other
    // GET is a client-side route of the single-page app: serve index.html.
    s.set_mount_point("/", options_.ui_dir);
    std::string index = options_.ui_dir + "/index.html";
    s.Get(".*", [index](const httplib::Request&, httplib::Response& res) {
      std::ifstream in(index, std::ios::binary);
      std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      res.set_content(body, "text/html; charset=utf-8");
    });
  } else {
    std::string page = no_ui_page(options_.ui_dir);
    s.Get("/", [page](const httplib::Request&, httplib::Response& res) {
      res.set_content(page, "text/html; charset=utf-8");
    });
  }
}

}  // namespace loupe::server
