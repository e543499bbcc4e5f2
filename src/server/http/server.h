// The HTTP listener Loupe serves its API and UI on, over libmicrohttpd: an
// epoll event loop in a few threads, so idle or slow connections cost a
// socket and a little memory but never a thread. A request whose handler
// waits (an ingest waiting for its commit, router.h add_async) is parked
// with MHD_suspend_connection and resumed when the answer is ready, so
// waiting requests never hold a thread either. Everything a client can
// make it spend is bounded here, in one place (docs/security.md):
//  - access (token, Host/Origin) is decided from the headers, before the body;
//  - bodies are capped on the wire and after gzip is undone, while they
//    stream in, chunked or not (413 with a JSON error);
//  - connections are capped in total and per client IP, and idle ones are
//    closed after a short timeout.
// Responses are gzip-compressed when the client accepts it.
//
//   http::Router router;  ... router.add("GET", "/api/v1/status", h);
//   http::Server server(router, {.listen = "127.0.0.1:0"});
//   server.start();  // throws http::StartError("127.0.0.1:8080 is in use; pass --listen")
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "server/http/access.h"
#include "server/http/router.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace loupe::server::http {

struct Exchange;  // one request in flight (server.cpp)
struct Parked;    // a request waiting for its async handler's reply (server.cpp)

class StartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Limits {
  size_t max_body_bytes = 16 * 1024 * 1024;   // on the wire, and again after inflating
  unsigned max_connections = 4096;            // in total
  unsigned max_connections_per_client = 256;  // per client IP
  unsigned idle_timeout_s = 15;               // a connection silent this long is closed
  unsigned threads = 4;                       // event-loop threads (handlers run on them)
};

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::string tls_cert_pem;               // both set: serve HTTPS only
  std::string tls_key_pem;
  Limits limits;
  AccessPolicy access;
};

class Server {
 public:
  // `router` must outlive the server and not change once it is started.
  Server(const Router& router, ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on background threads. Throws StartError with a message
  // for the user (address in use, bad certificate...).
  void start();
  // Answers every parked request 503 (their handlers' later replies are
  // dropped), then closes every connection.
  void stop();

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:8080", "https://[::1]:8443"

 private:
  struct Glue;  // libmicrohttpd's callbacks (server.cpp)
  friend struct Glue;
  std::optional<Response> check_head(Exchange& ex) const;
  void take_body(Exchange& ex, std::string_view piece) const;
  // The answer to a body that could not be taken (too large, corrupt gzip).
  std::optional<Response> body_error(Exchange& ex) const;
  Response finish(Exchange& ex) const;
  // Runs an async route: answers at once when the handler replied before
  // returning, else parks the connection until it does.
  bool start_async(MHD_Connection* c, Exchange& ex, const AsyncHandler& handler);
  void forget(const std::shared_ptr<Parked>& parked);
  // Queues `res` (gzip-compressed when worth it); false when the
  // connection must be dropped.
  bool send(MHD_Connection* c, const Request& req, Response res) const;

  const Router& router_;
  ServerOptions options_;
  MHD_Daemon* daemon_ = nullptr;
  std::mutex parked_mu_;
  std::condition_variable parked_gone_;       // parked_ lost an entry
  std::set<std::shared_ptr<Parked>> parked_;  // requests waiting for a reply
  bool stopping_ = false;                     // under parked_mu_
  std::string host_;
  int port_ = 0;
};

}  // namespace loupe::server::http
