// The fixture of the API server's tests: a SQLite store in a scratch
// directory, its ingest queue and an ApiServer on a free loopback port,
// with a client and helpers to read JSON answers.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "../store/temp_dir.h"
#include "core/time_format.h"
#include "pipeline/record_pipeline.h"
#include "server/api_server.h"

namespace loupe::server {

inline constexpr uint64_t kSec = 1'000'000'000ULL;
inline constexpr uint64_t kMs = 1'000'000ULL;

inline Record server_record(uint64_t start_ns, uint64_t dur_ns, const std::string& route,
                            int status) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + dur_ns;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.comm = "api";
  r.local_addr = "127.0.0.1:8000";
  r.remote_addr = "127.0.0.1:51000";
  r.method = "GET";
  r.route = route;
  r.path = route;
  r.status = status;
  r.error = status >= 500;
  return r;
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(ApiOptions opts) {
    api_.reset();
    queue_.reset();
    store_ = store::open_sqlite_store(dir_.path() + "/db");
    pipeline::IngestOptions io;
    io.flush_interval = std::chrono::milliseconds(5);
    io.min_round_records = 0;
    queue_ = std::make_unique<pipeline::IngestQueue>(*store_, io);
    opts.listen = "127.0.0.1:0";
    if (!opts.status_provider)
      opts.status_provider = [] { return nlohmann::json{{"probes_attached", 7}}; };
    api_ = std::make_unique<ApiServer>(*store_, *queue_, opts);
    api_->start();
    client_ = std::make_unique<httplib::Client>(api_->url());
  }

  // Records in the last few minutes, so the default 15 min window sees them.
  void seed() {
    uint64_t now = now_unix_ns();
    std::vector<Record> batch;
    for (int i = 0; i < 100; ++i)
      batch.push_back(server_record(now - 120 * kSec + i * kSec, (10 + i) * kMs,
                                    i % 2 ? "/users/{id}" : "/health", i % 10 == 0 ? 500 : 200));
    pipeline::RecordPipeline(*store_).write(batch);
  }

  nlohmann::json get_json(const std::string& path, int want_status = 200) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, want_status) << path << " -> " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return nlohmann::json::parse(res->body);
  }

  void expect_bad(const std::string& path, const std::string& parameter) {
    nlohmann::json j = get_json(path, 400);
    EXPECT_EQ(j.value("parameter", ""), parameter) << path;
    EXPECT_FALSE(j.value("error", "").empty()) << path;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::IngestQueue> queue_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace loupe::server
