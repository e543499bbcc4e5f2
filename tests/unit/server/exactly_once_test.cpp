// Agent -> server delivery is exactly once: a real Exporter sends through a
// proxy that cuts the connection after the server has committed a batch,
// before the agent hears the answer. The agent sends the batch again; the
// server recognises its key and stores it once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "../store/temp_dir.h"
#include "agent/exporter.h"
#include "core/time_format.h"
#include "server/api_server.h"

namespace loupe::server {
namespace {

using namespace std::chrono_literals;

// Forwards ingest to `upstream`; for the first `cuts` batches the server
// took, the agent gets a cut connection instead of the answer.
class CuttingProxy {
 public:
  CuttingProxy(std::string upstream, int cuts) : upstream_(std::move(upstream)), cuts_(cuts) {
    http_.Post("/api/v1/ingest", [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Client up(upstream_);
      // httplib has inflated a gzip JSON body already; the agent's batch
      // codec body passes as it came, with its Content-Type.
      httplib::Headers headers{{"Authorization", req.get_header_value("Authorization")}};
      auto r = up.Post("/api/v1/ingest", headers, req.body, req.get_header_value("Content-Type"));
      if (!r) {
        res.status = 502;
        return;
      }
      if (r->status == 200 && cuts_.fetch_sub(1) > 0) {
        ++cut;
        // Headers go out, then the body fails: the connection is cut.
        res.set_content_provider(r->body.size(), "application/json",
                                 [](size_t, size_t, httplib::DataSink&) { return false; });
        return;
      }
      res.status = r->status;
      res.set_content(r->body, "application/json");
    });
    http_.Post("/api/v1/agents/stats",
               [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~CuttingProxy() {
    http_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<int> cut{0};

 private:
  std::string upstream_;
  std::atomic<int> cuts_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
};

TEST(ExactlyOnce, ABatchWhoseAnswerWasLostIsStoredOnce) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path() + "/db");
  pipeline::IngestQueue queue(*store, {.flush_interval = 5ms, .min_round_records = 0});
  ApiServer api(*store, queue, {.listen = "127.0.0.1:0", .token = "s3cret"});
  api.start();
  CuttingProxy proxy(api.url(), 3);

  constexpr int kRecords = 1000;
  {
    Exporter exporter({.server = {.url = proxy.url(), .token = "s3cret"},
                       .node = "node-1",
                       .batch_records = 100,
                       .flush_interval = 20ms});
    uint64_t now = now_unix_ns();
    for (int i = 0; i < kRecords; i += 100) {
      std::vector<Record> chunk;
      for (int j = i; j < i + 100; ++j) {
        Record r;
        r.start_ns = now + j;
        r.end_ns = now + j + 1000;
        r.protocol = Protocol::Http1;
        r.role = Role::Server;
        r.local_addr = "127.0.0.1:8000";
        r.method = "GET";
        r.path = r.route = "/once/" + std::to_string(j);
        r.status = 200;
        chunk.push_back(std::move(r));
      }
      EncodedRecords part;  // as the agent hands records over
      part.append(chunk);
      exporter.push(part);
    }
    for (int i = 0; i < 200 && exporter.stats().sent < kRecords; ++i)
      std::this_thread::sleep_for(50ms);
    auto s = exporter.stats();
    EXPECT_EQ(s.sent, static_cast<uint64_t>(kRecords));
    EXPECT_GE(s.failures, 3u) << "the cut answers were failures to the agent";
  }
  EXPECT_EQ(proxy.cut.load(), 3) << "three batches committed whose answer was lost";
  queue.flush();
  EXPECT_EQ(store->stats().records_stored, static_cast<uint64_t>(kRecords))
      << "each resent batch stored once";
  api.stop();
}

}  // namespace
}  // namespace loupe::server
