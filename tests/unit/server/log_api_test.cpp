// /api/v1/logs over HTTP: the around/window range that the UI's request
// drawer uses to show what a pod printed while one request ran.
#include <gtest/gtest.h>
#include <httplib.h>

#include "../store/temp_dir.h"
#include "server/api_server.h"

namespace loupe::server {
namespace {

using nlohmann::json;
constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kMs = 1'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;

logs::Entry entry(uint64_t t_ns, const std::string& text, const std::string& pod) {
  logs::Entry e;
  e.time_ns = t_ns;
  e.text = text;
  e.level = logs::Level::Info;
  e.node = "node-1";
  e.source = "src-" + pod;
  e.offset = t_ns - kT0;
  e.namespace_ = "shop";
  e.pod = pod;
  e.container = "api";
  return e;
}

class LogApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Retention off: the lines lie in 2025, and the ingest writer enforces
    // retention at its first round (100 ms in), which would delete them
    // while the test runs.
    store_ = store::open_sqlite_store(dir_.path() + "/db", {.retention_ns = 0});
    queue_ = std::make_unique<pipeline::IngestQueue>(*store_, pipeline::IngestOptions{});
    ApiOptions opts;
    opts.listen = "127.0.0.1:0";
    opts.status_provider = [] { return json::object(); };
    api_ = std::make_unique<ApiServer>(*store_, *queue_, opts);
    api_->start();
    client_ = std::make_unique<httplib::Client>(api_->url());
    // One line every 500 ms for 20 s, from two pods.
    std::vector<logs::Entry> batch;
    for (int i = 0; i < 40; ++i)
      batch.push_back(entry(kT0 + i * 500 * kMs, "line " + std::to_string(i), i % 2 ? "b" : "a"));
    store_->write_logs(batch);
  }

  json get(const std::string& path, int want = 200) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, want) << path << " -> " << res->body;
    return json::parse(res->body);
  }

  std::vector<std::string> texts(const std::string& path) {
    std::vector<std::string> out;
    json page = get(path);
    for (const auto& e : page["entries"]) out.push_back(e["text"]);
    return out;
  }

  loupe::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::IngestQueue> queue_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(LogApiTest, AroundTakesTheWindowEitherSideOfAMoment) {
  // 10.25 s after kT0, 1 s either side: lines 19..22 (9.5 s .. 11 s), newest first.
  std::string around = std::to_string(kT0 / kSec + 10) + ".25";
  EXPECT_EQ(texts("/api/v1/logs?around=" + around + "&window=1s"),
            (std::vector<std::string>{"line 22", "line 21", "line 20", "line 19"}));
  // With the other filters: only pod a's.
  EXPECT_EQ(texts("/api/v1/logs?around=" + around + "&window=1s&pod=a"),
            (std::vector<std::string>{"line 22", "line 20"}));
  // The default window is 5 s either side; RFC 3339 with a fraction works too.
  EXPECT_EQ(get("/api/v1/logs?around=2025-11-24T16:00:10.250Z")["entries"].size(), 20u);
  // The histogram takes the same range.
  json h = get("/api/v1/logs/histogram?around=" + around + "&window=1s&step=60");
  ASSERT_EQ(h["points"].size(), 1u);
  EXPECT_EQ(h["points"][0]["counts"]["info"], 4);
}

TEST_F(LogApiTest, AroundRejectsBadValuesAndFromTo) {
  auto bad = [&](const std::string& query, const std::string& parameter) {
    json j = get("/api/v1/logs?" + query, 400);
    EXPECT_EQ(j.value("parameter", ""), parameter) << query;
  };
  bad("around=yesterday", "around");
  bad("around=1764000000&window=0s", "window");
  bad("around=1764000000&window=2h", "window");
  bad("around=1764000000&window=soon", "window");
  bad("around=1764000000&from=1764000000", "around");
  bad("window=5s", "window");
}

}  // namespace
}  // namespace loupe::server
