// The collector's send loop: a snapshot first, then changes; a failed send
// is followed by a snapshot so the server never has a gap.
#include "k8s/collector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "fake_apiserver.h"

using namespace loupe::k8s;
using loupe::k8s::testing::eventually;
using loupe::k8s::testing::FakeApiServer;

TEST(ClusterCollector, SnapshotThenChangesAndSnapshotAfterAFailedSend) {
  FakeApiServer server;
  ASSERT_TRUE(server.start("tok"));
  auto cfg = server.config(server.write_token("token", "tok"));
  std::mutex mu;
  std::vector<nlohmann::json> sent;
  std::atomic<bool> refuse{false};
  std::atomic<bool> refused_p2{false};  // a refused payload carried p2
  auto carries = [](const nlohmann::json& p, const std::string& name) {
    for (const auto& c : p["changes"])
      if (c["kind"] == "pod" && c["object"]["name"] == name) return true;
    if (p.contains("snapshot"))
      for (const auto& pod : p["snapshot"]["pods"])
        if (pod["name"] == name) return true;
    return false;
  };
  CollectorOptions opts;
  opts.interval = std::chrono::milliseconds(100);
  opts.reflector.backoff_initial = std::chrono::milliseconds(20);
  ClusterCollector c(cfg, opts, [&](const nlohmann::json& p, std::string* err) {
    if (refuse) {
      if (carries(p, "p2")) refused_p2 = true;
      *err = "server down";
      return false;
    }
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back(p);
    return true;
  });
  std::atomic<bool> stop{false};
  std::string err;
  std::thread t([&] { c.run([&] { return stop.load(); }, &err); });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return sent.size();
  };
  ASSERT_TRUE(eventually([&] { return count() >= 1; }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(sent[0]["type"], "snapshot");
    EXPECT_EQ(sent[0]["snapshot"]["pods"].size(), 5u);
  }
  auto add = [&](const std::string& name) {
    server.control("/_test/apply",
                   {{"resource", "pods"},
                    {"type", "ADDED"},
                    {"object",
                     {{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", "u-" + name}}},
                      {"status", {{"phase", "Running"}, {"podIP", "10.244.9.9"}}}}}});
  };
  add("p1");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& p : sent)
      if (p["type"] == "changes" && !p["changes"].empty()) return true;
    return false;
  }));
  refuse = true;
  add("p2");
  // Wait for the send that loses p2 (not for a while: on a loaded machine
  // p2 may take longer to arrive than any fixed sleep).
  ASSERT_TRUE(eventually([&] { return refused_p2.load(); }));
  size_t before = count();
  refuse = false;
  ASSERT_TRUE(eventually([&] { return count() > before; }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(sent[before]["type"], "snapshot");  // p2's change was lost with the failed send
    bool has_p2 = false;
    for (const auto& p : sent[before]["snapshot"]["pods"]) has_p2 |= p["name"] == "p2";
    EXPECT_TRUE(has_p2);
  }
  stop = true;
  t.join();
  EXPECT_EQ(err, "");
}

// Changes go out as soon as they are seen, not on the next interval, and an
// empty payload goes out every interval when nothing changes: the server
// learns up to when its model is current.
TEST(ClusterCollector, ChangesAtOnceAndAHeartbeatWhenIdle) {
  FakeApiServer server;
  ASSERT_TRUE(server.start("tok"));
  auto cfg = server.config(server.write_token("token", "tok"));
  std::mutex mu;
  std::vector<std::pair<std::chrono::steady_clock::time_point, nlohmann::json>> sent;
  CollectorOptions opts;
  opts.interval = std::chrono::milliseconds(5000);
  ClusterCollector c(cfg, opts, [&](const nlohmann::json& p, std::string*) {
    std::lock_guard<std::mutex> lock(mu);
    sent.emplace_back(std::chrono::steady_clock::now(), p);
    return true;
  });
  std::atomic<bool> stop{false};
  std::string err;
  std::thread t([&] { c.run([&] { return stop.load(); }, &err); });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !sent.empty();
  }));
  // Timed from the moment the API server holds the change and the pods
  // watch is open: what the collector controls. (Counting the test's own
  // request to the fake server, or the watch still connecting after the
  // first snapshot, measured the loaded machine instead.)
  ASSERT_TRUE(eventually([&] { return server.stats()["watches"].contains("pods"); }));
  server.control("/_test/apply",
                 {{"resource", "pods"},
                  {"type", "ADDED"},
                  {"object",
                   {{"metadata", {{"name", "fast"}, {"namespace", "shop"}, {"uid", "u-fast"}}},
                    {"status", {{"phase", "Running"}, {"podIP", "10.244.9.8"}}}}}});
  auto applied = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point arrived{};
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [when, p] : sent)
      if (p["type"] == "changes" && !p["changes"].empty()) {
        arrived = when;
        return true;
      }
    return false;
  }));
  // Well under the 5 s interval, with room for a loaded 2-core CI machine.
  EXPECT_LT(arrived - applied, std::chrono::milliseconds(3000))
      << "a change must not wait for the 5 s interval";
  stop = true;
  t.join();

  // Idle: heartbeats every interval.
  sent.clear();
  opts.interval = std::chrono::milliseconds(100);
  ClusterCollector idle(cfg, opts, [&](const nlohmann::json& p, std::string*) {
    std::lock_guard<std::mutex> lock(mu);
    sent.emplace_back(std::chrono::steady_clock::now(), p);
    return true;
  });
  stop = false;
  std::thread t2([&] { idle.run([&] { return stop.load(); }, &err); });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    size_t empty = 0;
    for (const auto& [when, p] : sent) empty += p["type"] == "changes" && p["changes"].empty();
    return empty >= 3;
  }));
  stop = true;
  t2.join();
}

TEST(ClusterCollector, RunOnceReportsListFailures) {
  FakeApiServer server;
  ASSERT_TRUE(server.start("tok"));
  auto cfg = server.config(server.write_token("token", "nope"));
  ClusterCollector c(cfg, {}, [](const nlohmann::json&, std::string*) { return true; });
  std::string err;
  EXPECT_FALSE(c.run_once(&err));
  EXPECT_NE(err.find("401"), std::string::npos) << err;
}
