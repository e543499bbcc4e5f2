// The HTTP layer (src/server/http): access decided from headers, bodies
// bounded while they stream, gzip both ways, the router and the UI files,
// tested on a real listener with a real client.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "../store/temp_dir.h"
#include "core/gzip.h"
#include "server/http/accept_encoding.h"
#include "server/http/access.h"
#include "server/http/router.h"
#include "server/http/server.h"
#include "server/http/static_files.h"

namespace loupe::server::http {
namespace {

// Sends `text` on a fresh connection and returns everything the server
// answers until it closes (or 3 s pass). For requests a well-behaved
// client would not finish sending: the server answers before the body.
std::string raw_exchange(int port, const std::string& text) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  timeval tv{.tv_sec = 3, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

Request head(std::string method, std::string path, Headers headers = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

TEST(HttpGzip, RoundTripAndBoundedInflate) {
  std::string text(100'000, 'a');
  std::string gz = gzip_compress(text);
  EXPECT_LT(gz.size(), 1000u);

  GzipInflater whole(text.size());
  std::string out;
  // One byte at a time: the inflater keeps state across pieces.
  for (char c : gz) ASSERT_EQ(whole.feed(std::string_view(&c, 1), out), GzipInflater::Result::Ok);
  EXPECT_EQ(whole.finish(), GzipInflater::Result::Ok);
  EXPECT_EQ(out, text);

  GzipInflater small(text.size() - 1);
  std::string cut;
  EXPECT_EQ(small.feed(gz, cut), GzipInflater::Result::TooLarge);
  EXPECT_LE(cut.size(), text.size() - 1);

  GzipInflater truncated(text.size());
  std::string part;
  EXPECT_EQ(truncated.feed(std::string_view(gz).substr(0, gz.size() / 2), part),
            GzipInflater::Result::Ok);
  EXPECT_EQ(truncated.finish(), GzipInflater::Result::Corrupt);

  GzipInflater garbage(100);
  std::string g;
  EXPECT_EQ(garbage.feed("not gzip at all", g), GzipInflater::Result::Corrupt);
}

TEST(HttpGzip, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(HttpAccess, TokenNeededOnApiOnly) {
  AccessPolicy p{.token = "t0ken-xyz"};
  auto denied = check_access(p, head("GET", "/api/v1/status"));
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(denied->headers.find("WWW-Authenticate")->second, "Bearer");
  EXPECT_TRUE(check_access(p, head("GET", "/api/v1/status",
                                   {{"authorization", "Bearer t0ken-xyz"}})) == std::nullopt);
  EXPECT_TRUE(
      check_access(p, head("GET", "/api/v1/status", {{"Authorization", "Bearer t0ken-xy"}})));
  EXPECT_TRUE(check_access(p, head("GET", "/api/v1/status", {{"Authorization", "t0ken-xyz"}})));
  EXPECT_FALSE(check_access(p, head("GET", "/assets/app.js")));  // the UI's files hold no data
}

TEST(HttpAccess, LocalOnlyRefusesForeignHostAndOrigin) {
  AccessPolicy p{.local_only = true, .listen_host = "127.0.0.1"};
  for (const char* ok : {"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "10.1.2.3", "LOCALHOST"})
    EXPECT_FALSE(check_access(p, head("GET", "/api/v1/status", {{"Host", ok}}))) << ok;
  auto rebound = check_access(p, head("GET", "/api/v1/status", {{"Host", "evil.example:8080"}}));
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_TRUE(check_access(
      p, head("GET", "/", {{"Host", "127.0.0.1:8080"}, {"Origin", "http://evil.example"}})));
  EXPECT_FALSE(check_access(
      p, head("GET", "/", {{"Host", "127.0.0.1:8080"}, {"Origin", "http://127.0.0.1:8080"}})));
}

TEST(HttpAccess, ClosedPathsAndHostParsing) {
  AccessPolicy p{.closed_paths = {"/api/v1/ingest"}};
  auto closed = check_access(p, head("POST", "/api/v1/ingest"));
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 403);
  EXPECT_EQ(host_of("http://a.b:1/x"), "a.b");
  EXPECT_EQ(host_of("[::1]:80"), "::1");
  EXPECT_EQ(host_of("::1"), "");
  EXPECT_TRUE(bearer_matches("Bearer abc", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abd", "abc"));
  EXPECT_FALSE(bearer_matches("bearer abc", "abc"));
}

TEST(HttpRouter, ExactRoutes405AndFallback) {
  Router r;
  r.get("/a", [](const Request&, Response& res) { res.set_content("a", "text/plain"); });
  r.set_fallback([](const Request&, Response& res) { res.set_error(404, "fallback"); });
  Response res;
  r.dispatch(head("GET", "/a"), res);
  EXPECT_EQ(res.body, "a");
  Response head_res;
  r.dispatch(head("HEAD", "/a"), head_res);
  EXPECT_EQ(head_res.body, "a");
  Response post;
  r.dispatch(head("POST", "/a"), post);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers.find("Allow")->second, "GET");
  Response other;
  r.dispatch(head("GET", "/b"), other);
  EXPECT_EQ(other.status, 404);
  EXPECT_TRUE(r.has_route("GET", "/a"));
  EXPECT_FALSE(r.has_route("POST", "/a"));
}

TEST(HttpRouter, PrefixRoutesTakeWhatFollowsAndAnswer405ForOtherMethods) {
  Router r;
  r.add_prefix("DELETE", "/s/", [](const Request& req, Response& res) {
    res.set_content(req.path.substr(3), "text/plain");
  });
  r.get("/s/x", [](const Request&, Response& res) { res.set_content("exact", "text/plain"); });
  r.set_fallback([](const Request&, Response& res) { res.set_error(404, "fallback"); });
  Response del;
  r.dispatch(head("DELETE", "/s/ab12"), del);
  EXPECT_EQ(del.body, "ab12");
  Response exact;
  r.dispatch(head("GET", "/s/x"), exact);
  EXPECT_EQ(exact.body, "exact");
  Response get;
  r.dispatch(head("GET", "/s/ab12"), get);
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers.find("Allow")->second, "DELETE");
  Response bare;  // the prefix alone names nothing
  r.dispatch(head("DELETE", "/s/"), bare);
  EXPECT_EQ(bare.status, 404);
  EXPECT_TRUE(r.has_route("DELETE", "/s/ab12"));
  EXPECT_FALSE(r.has_route("POST", "/s/ab12"));
}

TEST(HttpStaticFiles, CacheHeadersAndNoEscape) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/ui/assets");
  std::ofstream(dir.path() + "/ui/index.html") << "<html>";
  std::ofstream(dir.path() + "/ui/assets/app-1a2b.js") << "js";
  std::ofstream(dir.path() + "/secret") << "no";
  StaticFiles files(dir.path() + "/ui");
  auto js = files.file(head("GET", "/assets/app-1a2b.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->headers.find("Cache-Control")->second, "public, max-age=31536000, immutable");
  EXPECT_EQ(js->headers.find("Content-Type")->second, "text/javascript; charset=utf-8");
  auto index = files.file(head("GET", "/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->headers.find("Cache-Control")->second, "no-cache");
  EXPECT_FALSE(files.file(head("GET", "/../secret")));
  EXPECT_FALSE(files.file(head("GET", "/assets/../../secret")));
  EXPECT_FALSE(files.file(head("GET", "/missing.js")));
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The server may answer (401, 413) and close before a client has sent
    // its whole body; the client's next write must fail, not kill the test.
    signal(SIGPIPE, SIG_IGN);
    router_.post("/echo", [](const Request& req, Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    router_.get("/big", [](const Request&, Response& res) {
      res.set_content(std::string(100'000, 'x'), "application/json");
    });
    router_.get("/api/v1/thing", [](const Request& req, Response& res) {
      res.set_content(req.remote_addr, "text/plain");
    });
  }
  void start(ServerOptions o) {
    o.listen = "127.0.0.1:0";
    o.limits.max_body_bytes = 1 << 20;
    server_ = std::make_unique<Server>(router_, o);
    server_->start();
    client_ = std::make_unique<httplib::Client>(server_->url());
  }
  Router router_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, BodiesWithinTheCapArriveWhole) {
  start({});
  auto res = client_->Post("/echo", std::string(1 << 20, 'b'), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, std::to_string(1 << 20));
  httplib::Headers gz{{"Content-Encoding", "gzip"}};
  res = client_->Post("/echo", gz, gzip_compress(std::string(1000, 'c')), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "1000");
}

TEST_F(HttpServerTest, OversizedBodiesAre413Json) {
  start({});
  // Refused from the Content-Length alone, before a byte of the body.
  std::string answer = raw_exchange(
      server_->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  EXPECT_NE(answer.find("{\"error\":\"body too large"), std::string::npos) << answer;
  // Chunked, without a length up front.
  std::string big((1 << 20) + 1, 'b');
  auto res = client_->Post(
      "/echo",
      [&](size_t offset, httplib::DataSink& sink) {
        size_t n = std::min<size_t>(64 * 1024, big.size() - offset);
        sink.write(big.data() + offset, n);
        if (offset + n == big.size()) sink.done();
        return true;
      },
      "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  // A gzip bomb: 1 KiB that inflates past the cap.
  httplib::Headers gz{{"Content-Encoding", "gzip"}};
  std::string bomb = gzip_compress(std::string(4 << 20, '\0'), 9);
  EXPECT_LT(bomb.size(), 10'000u);
  res = client_->Post("/echo", gz, bomb, "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  res = client_->Post("/echo", gz, std::string("corrupt"), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  httplib::Headers br{{"Content-Encoding", "br"}};
  res = client_->Post("/echo", br, std::string("x"), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
}

TEST_F(HttpServerTest, TokenRefusedBeforeTheBody) {
  router_.post("/api/v1/echo",
               [](const Request&, Response& res) { res.set_content("ok", "text/plain"); });
  start({.access = {.token = "s3cret-abc"}});
  std::string answer = raw_exchange(
      server_->port(),
      "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;  // not 413: the body was never read
  client_->set_bearer_token_auth("s3cret-abc");
  auto res = client_->Get("/api/v1/thing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "127.0.0.1");
}

TEST_F(HttpServerTest, ResponsesAreGzippedOnlyWhenAsked) {
  start({});
  std::string answer = raw_exchange(
      server_->port(),
      "GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n");
  EXPECT_NE(answer.find("Content-Encoding: gzip"), std::string::npos) << answer.substr(0, 300);
  EXPECT_LT(answer.size(), 2000u);
  auto res = client_->Get("/big", {{"Accept-Encoding", "gzip"}});  // httplib undoes it
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body.size(), 100'000u);
  EXPECT_EQ(res->get_header_value("Vary"), "Accept-Encoding");
  httplib::Headers br{{"Accept-Encoding", "br"}};
  res = client_->Get("/big", br);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(res->body.size(), 100'000u);
}

TEST_F(HttpServerTest, PerClientConnectionLimit) {
  start({.limits = {.max_connections_per_client = 2}});
  // Two idle connections from 127.0.0.1 use up its share; a third is refused.
  httplib::Client a(server_->url()), b(server_->url()), c(server_->url());
  a.set_keep_alive(true);
  b.set_keep_alive(true);
  ASSERT_TRUE(a.Get("/big"));
  ASSERT_TRUE(b.Get("/big"));
  c.set_read_timeout(2);
  auto res = c.Get("/big");
  EXPECT_FALSE(res);
}

// Requests whose handler answers later are parked, not holding one of the
// event-loop threads: with far more waiting than there are threads, other
// requests are still answered at once; each waiting one gets its own
// answer when it comes, and whatever still waits at stop gets a 503.
TEST_F(HttpServerTest, WaitingRequestsHoldNoThread) {
  std::mutex mu;
  std::vector<std::pair<std::string, Reply>> waiting;
  router_.add_async("POST", "/wait", [&](const Request& req, Reply reply) {
    std::lock_guard lock(mu);
    waiting.emplace_back(req.body, std::move(reply));
  });
  router_.add_async("POST", "/now", [](const Request& req, Reply reply) {
    Response res;
    res.set_content("now " + req.body, "text/plain");
    reply(std::move(res));
  });
  start({.limits = {.threads = 2}});
  auto res = client_->Post("/now", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "now x") << "a reply before the handler returns is sent at once";

  constexpr int kWaiting = 64;
  std::vector<std::thread> clients;
  std::vector<std::string> answers(kWaiting);
  for (int i = 0; i < kWaiting; ++i)
    clients.emplace_back([&, i] {
      httplib::Client c(server_->url());
      c.set_read_timeout(20);
      if (auto r = c.Post("/wait", std::to_string(i), "text/plain"))
        answers[i] = std::to_string(r->status) + " " + r->body;
    });
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (waiting.size() == kWaiting) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(waiting.size(), static_cast<size_t>(kWaiting));
  }
  auto t0 = std::chrono::steady_clock::now();
  res = client_->Get("/api/v1/thing");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(took, std::chrono::seconds(1)) << kWaiting << " waiting requests on 2 threads";

  // Answered from another thread, in any order.
  std::thread replier([&] {
    std::lock_guard lock(mu);
    for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
      Response r;
      r.set_content("done " + it->first, "text/plain");
      if (it - waiting.rbegin() < kWaiting / 2) it->second(std::move(r));
    }
  });
  replier.join();
  // The other half is still parked when the server stops: 503, no hang.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->stop();
  for (auto& c : clients) c.join();
  int done = 0, stopped = 0;
  std::string others;
  for (int i = 0; i < kWaiting; ++i) {
    bool d = answers[i] == "200 done " + std::to_string(i), s = answers[i].starts_with("503");
    done += d;
    stopped += s;
    if (!d && !s) others += " [" + std::to_string(i) + ": '" + answers[i] + "']";
  }
  EXPECT_EQ(done, kWaiting / 2) << others;
  EXPECT_EQ(stopped, kWaiting / 2) << others;
  // A reply after the stop is dropped.
  std::lock_guard lock(mu);
  waiting.front().second(Response{});
}

TEST(HttpServerStart, ErrorsSayWhatToDo) {
  Router r;
  Server first(r, {.listen = "127.0.0.1:0"});
  first.start();
  Server second(r, {.listen = "127.0.0.1:" + std::to_string(first.port())});
  try {
    second.start();
    FAIL() << "second bind succeeded";
  } catch (const StartError& e) {
    EXPECT_NE(std::string(e.what()).find("is in use; pass --listen"), std::string::npos);
  }
  Server bad_tls(r, {.listen = "127.0.0.1:0", .tls_cert_pem = "junk", .tls_key_pem = "junk"});
  EXPECT_THROW(bad_tls.start(), StartError);
}

}  // namespace
}  // namespace loupe::server::http
