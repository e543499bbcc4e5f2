#include "server/http/server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <microhttpd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <vector>

#include "core/gzip.h"
#include "server/http/accept_encoding.h"
#include "server/http/listen_socket.h"

namespace loupe::server::http {
namespace {

// Responses smaller than this are not worth a gzip header and a CPU cycle.
constexpr size_t kCompressMinBytes = 1024;
// How much of a too-large body is read and dropped before the connection is
// closed without an answer.
constexpr size_t kDiscardLimit = size_t{1} << 30;

bool compressible(const std::string& content_type) {
  return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
         content_type.starts_with("application/javascript") ||
         content_type.starts_with("image/svg+xml");
}

bool has_body(const Request& head) {
  std::string length = head.header("Content-Length");
  return !head.header("Transfer-Encoding").empty() || (!length.empty() && length != "0");
}

std::string client_ip(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char buf[INET6_ADDRSTRLEN] = "";
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

// libmicrohttpd reports refused connections (limits reached, TLS handshakes
// failing) here; under attack that is thousands a second, so one line per
// 10 s says it is happening without flooding the log.
void rate_limited_log(void*, const char* fmt, va_list ap) {
  static std::mutex mu;
  static std::chrono::steady_clock::time_point last;
  static unsigned suppressed = 0;
  std::lock_guard lock(mu);
  auto now = std::chrono::steady_clock::now();
  if (last.time_since_epoch().count() != 0 && now - last < std::chrono::seconds(10)) {
    ++suppressed;
    return;
  }
  last = now;
  char msg[512];
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  std::string text(msg);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::cerr << "loupe: http: " << text;
  if (suppressed) std::cerr << " (" << suppressed << " more messages in the last 10 s)";
  std::cerr << "\n";
  suppressed = 0;
}

// Makes room for every allowed connection in the descriptor limit, or
// lowers the limit to what the process may open.
unsigned fit_fd_limit(unsigned max_connections) {
  constexpr rlim_t kSpare = 256;  // the store, the agent, log files
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return max_connections;
  rlim_t want = max_connections + kSpare;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur >= want) return max_connections;
  unsigned fit = rl.rlim_cur > 2 * kSpare ? static_cast<unsigned>(rl.rlim_cur - kSpare) : 64;
  std::cerr << "loupe: the open-file limit (" << rl.rlim_cur << ") allows " << fit
            << " connections, not " << max_connections << "; raise it with ulimit -n\n";
  return fit;
}

}  // namespace

// One request's state across libmicrohttpd's calls: headers, body pieces,
// then the final call.
struct Exchange {
  Request req;
  std::unique_ptr<GzipInflater> inflater;  // Content-Encoding: gzip
  size_t wire_bytes = 0;
  enum class Body { Reading, TooLarge, Corrupt } body = Body::Reading;
  std::shared_ptr<Parked> parked;  // an async route is answering
};

// Hands an async handler's answer from whichever thread replies to the
// connection's event-loop thread. The connection is suspended only once
// the handler has returned without replying; a reply resumes it, and
// libmicrohttpd then calls on_request again, which sends the answer.
struct Parked {
  std::mutex mu;
  MHD_Connection* connection = nullptr;
  std::optional<Response> answer;
  bool replied = false;    // the first reply (or stop()'s 503) wins
  bool suspended = false;  // the connection waits for resume

  void reply(Response res) {
    std::lock_guard lock(mu);
    if (replied) return;
    replied = true;
    answer = std::move(res);
    if (suspended) MHD_resume_connection(connection);
  }
};

struct Server::Glue {
  static MHD_Result result(bool ok) { return ok ? MHD_YES : MHD_NO; }

  static MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method,
                               const char*, const char* upload, size_t* upload_size, void** state) {
    auto& self = *static_cast<Server*>(cls);
    try {
      if (!*state) {
        auto ex = std::make_unique<Exchange>();
        ex->req.method = method;
        ex->req.path = url;
        ex->req.remote_addr = client_ip(c);
        MHD_get_connection_values(c, MHD_HEADER_KIND, &add_header, &ex->req);
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &add_param, &ex->req);
        auto* raw = ex.release();
        *state = raw;
        if (auto early = self.check_head(*raw))
          return result(self.send(c, raw->req, std::move(*early)));
        return MHD_YES;
      }
      auto& ex = *static_cast<Exchange*>(*state);
      if (ex.parked) {  // resumed: the async handler has replied
        std::optional<Response> answer;
        {
          std::lock_guard lock(ex.parked->mu);
          answer = std::move(ex.parked->answer);
          ex.parked->answer.reset();
        }
        if (!answer) return MHD_YES;
        // Still parked until on_completed: stop() waits for the answer to
        // be sent, not just queued, before it closes the connections.
        return result(self.send(c, ex.req, std::move(*answer)));
      }
      if (*upload_size) {
        self.take_body(ex, std::string_view(upload, *upload_size));
        // Past the cap the rest is read and dropped (no memory, little CPU)
        // so the client still gets its 413; one that goes on sending past
        // kDiscardLimit is cut off.
        if (ex.body == Exchange::Body::TooLarge && ex.wire_bytes > kDiscardLimit) return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
      }
      if (auto refused = self.body_error(ex)) return result(self.send(c, ex.req, *refused));
      if (const AsyncHandler* h = self.router_.async_route(ex.req.method, ex.req.path))
        return result(self.start_async(c, ex, *h));
      return result(self.send(c, ex.req, self.finish(ex)));
    } catch (const std::exception& e) {
      std::cerr << "loupe: http: " << e.what() << "\n";
      return MHD_NO;
    }
  }

  static void on_completed(void* cls, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    auto* ex = static_cast<Exchange*>(*state);
    if (ex && ex->parked) static_cast<Server*>(cls)->forget(ex->parked);
    delete ex;
    *state = nullptr;
  }

  static MHD_Result add_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    static_cast<Request*>(cls)->headers.emplace(key, value ? value : "");
    return MHD_YES;
  }

  static MHD_Result add_param(void* cls, MHD_ValueKind, const char* key, const char* value) {
    static_cast<Request*>(cls)->params.emplace(key, value ? value : "");
    return MHD_YES;
  }
};

Server::Server(const Router& router, ServerOptions options)
    : router_(router), options_(std::move(options)) {}

Server::~Server() { stop(); }

std::optional<Response> Server::check_head(Exchange& ex) const {
  const Request& head = ex.req;
  if (auto refused = check_access(options_.access, head)) return refused;
  std::string mib = std::to_string(options_.limits.max_body_bytes >> 20) + " MiB";
  std::string length = head.header("Content-Length");
  if (!length.empty()) {
    errno = 0;
    char* end = nullptr;
    unsigned long long n = std::strtoull(length.c_str(), &end, 10);
    if (errno || *end || n > options_.limits.max_body_bytes) {
      Response res;
      res.set_error(413, "body too large: at most " + mib);
      return res;
    }
  }
  std::string encoding = head.header("Content-Encoding");
  if (encoding == "gzip" || encoding == "x-gzip") {
    ex.inflater = std::make_unique<GzipInflater>(options_.limits.max_body_bytes);
  } else if (!encoding.empty() && encoding != "identity") {
    Response res;
    res.set_error(415, "unsupported Content-Encoding '" + encoding + "': send gzip or none");
    return res;
  }
  // A body for a path that takes none (404, 405) is not worth reading.
  if (has_body(head) && !router_.has_route(head.method, head.path)) {
    Response res;
    router_.dispatch(head, res);
    return res;
  }
  return std::nullopt;
}

void Server::take_body(Exchange& ex, std::string_view piece) const {
  ex.wire_bytes += piece.size();
  if (ex.body != Exchange::Body::Reading) return;
  const size_t cap = options_.limits.max_body_bytes;
  if (ex.wire_bytes > cap) {
    ex.body = Exchange::Body::TooLarge;
    ex.req.body = std::string();  // give the memory back now
    return;
  }
  if (!ex.inflater) {
    ex.req.body.append(piece);
    return;
  }
  switch (ex.inflater->feed(piece, ex.req.body)) {
    case GzipInflater::Result::Ok:
      break;
    case GzipInflater::Result::TooLarge:
      ex.body = Exchange::Body::TooLarge;
      ex.req.body = std::string();
      break;
    case GzipInflater::Result::Corrupt:
      ex.body = Exchange::Body::Corrupt;
      ex.req.body = std::string();
      break;
  }
}

std::optional<Response> Server::body_error(Exchange& ex) const {
  Response res;
  if (ex.body == Exchange::Body::Reading && ex.inflater &&
      ex.inflater->finish() != GzipInflater::Result::Ok)
    ex.body = Exchange::Body::Corrupt;
  if (ex.body == Exchange::Body::TooLarge) {
    res.set_error(413, "body too large: at most " +
                           std::to_string(options_.limits.max_body_bytes >> 20) +
                           " MiB, compressed or not");
    return res;
  }
  if (ex.body == Exchange::Body::Corrupt) {
    res.set_error(400, "the gzip body is corrupt or cut short");
    return res;
  }
  return std::nullopt;
}

Response Server::finish(Exchange& ex) const {
  Response res;
  try {
    router_.dispatch(ex.req, res);
  } catch (const std::exception& e) {
    res = Response();
    res.set_error(500, std::string("internal error: ") + e.what());
  }
  return res;
}

bool Server::start_async(MHD_Connection* c, Exchange& ex, const AsyncHandler& handler) {
  auto parked = std::make_shared<Parked>();
  parked->connection = c;
  ex.parked = parked;
  {
    std::lock_guard lock(parked_mu_);
    if (stopping_) {
      Response res;
      res.set_error(503, "the server is stopping");
      parked->reply(std::move(res));
    } else {
      parked_.insert(parked);
    }
  }
  bool replied = false;
  {
    std::lock_guard lock(parked->mu);
    replied = parked->replied;
  }
  if (!replied) {
    try {
      handler(ex.req, [parked](Response res) { parked->reply(std::move(res)); });
    } catch (const std::exception& e) {
      Response res;
      res.set_error(500, std::string("internal error: ") + e.what());
      parked->reply(std::move(res));
    }
  }
  std::unique_lock lock(parked->mu);
  if (!parked->replied) {
    // The reply comes later, from another thread: park the connection
    // (it holds no thread meanwhile) until it resumes it.
    parked->suspended = true;
    MHD_suspend_connection(c);
    return true;
  }
  Response answer = std::move(*parked->answer);
  parked->answer.reset();
  lock.unlock();
  return send(c, ex.req, std::move(answer));  // on_completed forgets it
}

void Server::forget(const std::shared_ptr<Parked>& parked) {
  std::lock_guard lock(parked_mu_);
  parked_.erase(parked);
  parked_gone_.notify_all();
}

bool Server::send(MHD_Connection* c, const Request& req, Response res) const {
  std::string type = res.headers.contains("Content-Type") ? res.headers.find("Content-Type")->second
                                                          : std::string();
  if (compressible(type)) {
    res.set_header("Vary", "Accept-Encoding");
    if (res.body.size() >= kCompressMinBytes && !res.headers.contains("Content-Encoding") &&
        accepts_gzip(req.header("Accept-Encoding"))) {
      res.body = gzip_compress(res.body);
      res.set_header("Content-Encoding", "gzip");
    }
  }
  res.set_header("X-Content-Type-Options", "nosniff");
  MHD_Response* r =
      MHD_create_response_from_buffer(res.body.size(), res.body.data(), MHD_RESPMEM_MUST_COPY);
  if (!r) return false;
  for (const auto& [name, value] : res.headers)
    MHD_add_response_header(r, name.c_str(), value.c_str());
  MHD_Result rc = MHD_queue_response(c, static_cast<unsigned>(res.status), r);
  MHD_destroy_response(r);
  return rc == MHD_YES;
}

void Server::start() {
  {
    std::lock_guard lock(parked_mu_);
    stopping_ = false;
  }
  std::string listen = options_.listen;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw StartError("'" + listen + "' is not an address: use HOST:PORT, e.g. 127.0.0.1:8080");
  host_ = listen.substr(0, colon);
  if (host_.starts_with('[') && host_.ends_with(']')) host_ = host_.substr(1, host_.size() - 2);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    throw StartError("'" + listen + "' is not an address: use HOST:PORT, e.g. 127.0.0.1:8080");
  }
  bool tls = !options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty();
  if (tls && (options_.tls_cert_pem.empty() || options_.tls_key_pem.empty()))
    throw StartError("TLS needs both a certificate and its key: pass --tls-cert and --tls-key");

  // Request bodies are megabytes, built on the event-loop threads. With
  // glibc's adaptive threshold, a freed body raises the mmap threshold and
  // the next ones come from per-thread arenas that keep the memory: four
  // threads could hold four bodies' worth for good. A fixed threshold keeps
  // every large buffer mmapped, so it goes back to the system when freed.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  const Limits& lim = options_.limits;
  unsigned threads = std::max(1u, lim.threads);
  unsigned max_conn = std::max(fit_fd_limit(lim.max_connections), threads);
  ListenSocket sock = open_listen_socket(host_, port);
  port_ = sock.port;

  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                   MHD_ALLOW_SUSPEND_RESUME;
  if (sock.ipv6) flags |= MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> opts = {
      {MHD_OPTION_LISTEN_SOCKET, sock.fd, nullptr},
      {MHD_OPTION_THREAD_POOL_SIZE, threads, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, max_conn, nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim.max_connections_per_client, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, lim.idle_timeout_s, nullptr},
  };
  if (tls) {
    opts.push_back(
        {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(options_.tls_cert_pem.c_str())});
    opts.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(options_.tls_key_pem.c_str())});
  }
  opts.push_back({MHD_OPTION_END, 0, nullptr});
  daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &Glue::on_request, this,
                             MHD_OPTION_EXTERNAL_LOGGER, &rate_limited_log, nullptr,
                             MHD_OPTION_NOTIFY_COMPLETED, &Glue::on_completed, this,
                             MHD_OPTION_ARRAY, opts.data(), MHD_OPTION_END);
  if (!daemon_) {
    close(sock.fd);
    throw StartError(tls ? "cannot serve HTTPS on " + listen +
                               ": is --tls-cert a PEM certificate and --tls-key its PEM key?"
                         : "cannot serve HTTP on " + listen);
  }
}

void Server::stop() {
  {
    // libmicrohttpd must not be stopped with suspended connections: answer
    // every parked request now (its handler's reply, when it comes, is
    // dropped), and give the event loop a moment to send those answers.
    std::unique_lock lock(parked_mu_);
    stopping_ = true;
    for (const auto& parked : parked_) {
      Response res;
      res.set_error(503, "the server is stopping; retry");
      res.set_header("Retry-After", "1");
      parked->reply(std::move(res));
    }
    parked_gone_.wait_for(lock, std::chrono::seconds(1), [&] { return parked_.empty(); });
  }
  if (daemon_) MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  std::lock_guard lock(parked_mu_);
  parked_.clear();
}

std::string Server::url() const {
  bool tls = !options_.tls_cert_pem.empty();
  bool v6 = host_.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host_ + "]" : host_) + ":" +
         std::to_string(port_);
}

}  // namespace loupe::server::http
