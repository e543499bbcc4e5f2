#include "k8s/cluster_events.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "core/time_format.h"
#include "fake_apiserver.h"

using namespace loupe::k8s;

namespace {

struct Detector {
  std::vector<ClusterEvent> out;
  EventDetector d{[this](const ClusterEvent& e) { out.push_back(e); }, [] { return 42ull; }};
  nlohmann::json fx;
  Detector() {
    std::ifstream in(loupe::k8s::testing::k8s_test_dir() + "/fixtures/cluster.json");
    fx = nlohmann::json::parse(in);
  }
  void feed_all() {
    for (const char* res : {"pods", "nodes", "events"}) {
      for (const auto& o : fx[res]) d.on_object(res, WatchType::Added, o);
    }
  }
  std::vector<ClusterEvent> with(const std::string& reason) {
    std::vector<ClusterEvent> r;
    for (const auto& e : out) {
      if (e.reason == reason) r.push_back(e);
    }
    return r;
  }
};

}  // namespace

TEST(EventDetector, FixtureClusterProducesTheKnownProblems) {
  Detector t;
  t.feed_all();
  auto oom = t.with("OOMKilled");
  ASSERT_EQ(oom.size(), 1u);
  EXPECT_EQ(oom[0].name, "db-0");
  EXPECT_EQ(oom[0].container, "postgres");
  EXPECT_EQ(oom[0].exit_code, 137);
  EXPECT_EQ(oom[0].type, "Warning");
  EXPECT_EQ(loupe::format_rfc3339_ns(oom[0].time_ns), "2026-11-25T10:05:00.000000000Z");
  auto crash = t.with("CrashLoopBackOff");
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_EQ(crash[0].name, "report-29410560-7xk2p");
  EXPECT_EQ(crash[0].count, 4);
  auto nr = t.with("NodeNotReady");
  ASSERT_EQ(nr.size(), 1u);
  EXPECT_EQ(nr[0].name, "node-2");
  auto fs = t.with("FailedScheduling");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].count, 3);
  EXPECT_EQ(fs[0].kind, "Pod");
  EXPECT_TRUE(t.with("Pulled").empty());  // Normal chatter is not forwarded
  // A relist repeats nothing.
  size_t n = t.out.size();
  t.feed_all();
  EXPECT_EQ(t.out.size(), n);
}

TEST(EventDetector, RestartWithExitCodeAndNewOom) {
  Detector t;
  auto pod = t.fx["pods"][0];  // api, running, 0 restarts
  t.d.on_object("pods", WatchType::Added, pod);
  EXPECT_TRUE(t.out.empty());
  auto& cs = pod["status"]["containerStatuses"][0];
  cs["restartCount"] = 1;
  cs["lastState"] = {
      {"terminated",
       {{"exitCode", 1}, {"reason", "Error"}, {"finishedAt", "2026-11-25T11:00:00Z"}}}};
  t.d.on_object("pods", WatchType::Modified, pod);
  ASSERT_EQ(t.with("Restarted").size(), 1u);
  EXPECT_EQ(t.with("Restarted")[0].exit_code, 1);
  cs["restartCount"] = 2;
  cs["lastState"] = {
      {"terminated",
       {{"exitCode", 137}, {"reason", "OOMKilled"}, {"finishedAt", "2026-11-25T11:05:00Z"}}}};
  t.d.on_object("pods", WatchType::Modified, pod);
  t.d.on_object("pods", WatchType::Modified, pod);  // unchanged: nothing new
  EXPECT_EQ(t.with("OOMKilled").size(), 1u);
  pod["status"]["reason"] = "Evicted";
  pod["status"]["message"] = "The node was low on resource: memory.";
  t.d.on_object("pods", WatchType::Modified, pod);
  ASSERT_EQ(t.with("Evicted").size(), 1u);
  EXPECT_NE(t.with("Evicted")[0].message.find("memory"), std::string::npos);
}

TEST(EventDetector, NodeTransitionsAndEventCountUpdates) {
  Detector t;
  auto node = t.fx["nodes"][0];  // Ready
  t.d.on_object("nodes", WatchType::Added, node);
  EXPECT_TRUE(t.out.empty());
  auto& conds = node["status"]["conditions"];
  auto& ready = *std::find_if(conds.begin(), conds.end(),
                              [](const nlohmann::json& c) { return c["type"] == "Ready"; });
  ready["status"] = "False";
  t.d.on_object("nodes", WatchType::Modified, node);
  ready["status"] = "True";
  t.d.on_object("nodes", WatchType::Modified, node);
  ASSERT_EQ(t.out.size(), 2u);
  EXPECT_EQ(t.out[0].reason, "NodeNotReady");
  EXPECT_EQ(t.out[1].reason, "NodeReady");
  auto ev = t.fx["events"][0];
  t.d.on_object("events", WatchType::Added, ev);
  ev["count"] = 4;
  t.d.on_object("events", WatchType::Modified, ev);
  t.d.on_object("events", WatchType::Modified, ev);
  EXPECT_EQ(t.with("FailedScheduling").size(), 2u);
  // Garbage does not crash.
  t.d.on_object(
      "pods", WatchType::Added,
      nlohmann::json::parse(
          R"({"metadata":{"uid":"x"},"status":{"containerStatuses":[1,{"lastState":{"terminated":5}}]}})"));
  t.d.on_object("events", WatchType::Added,
                nlohmann::json::parse(R"({"type":"Warning","count":"x"})"));
}

TEST(EventDetector, DeletedPodStateIsForgotten) {
  Detector t;
  auto pod = t.fx["pods"][2];  // db-0, OOMKilled last
  t.d.on_object("pods", WatchType::Added, pod);
  ASSERT_EQ(t.with("OOMKilled").size(), 1u);
  t.d.on_object("pods", WatchType::Deleted, pod);
  // Same uid seen again (a relist racing the delete) reports once more;
  // what matters is that deletes free the per-pod state.
  t.d.on_object("pods", WatchType::Added, pod);
  EXPECT_EQ(t.with("OOMKilled").size(), 2u);
}

TEST(EventDetector, PodReadinessTransitions) {
  Detector t;
  t.feed_all();
  // The fixture's crash-looping pod is the one not Ready, reported at the
  // condition's transition time.
  auto not_ready = t.with("PodNotReady");
  ASSERT_EQ(not_ready.size(), 1u);
  EXPECT_EQ(not_ready[0].name, "report-29410560-7xk2p");
  EXPECT_NE(not_ready[0].time_ns, 42u);
  auto pod = t.fx["pods"][3];
  auto& conds = pod["status"]["conditions"];
  auto& ready = *std::find_if(conds.begin(), conds.end(),
                              [](const nlohmann::json& c) { return c["type"] == "Ready"; });
  ready["status"] = "True";
  ready["lastTransitionTime"] = "2026-11-25T12:00:00Z";
  t.d.on_object("pods", WatchType::Modified, pod);
  t.d.on_object("pods", WatchType::Modified, pod);  // no transition: nothing
  ASSERT_EQ(t.with("PodReady").size(), 1u);
  EXPECT_EQ(loupe::format_rfc3339_ns(t.with("PodReady")[0].time_ns),
            "2026-11-25T12:00:00.000000000Z");
  // Not ready again, then deleted: the state ends with PodGone.
  ready["status"] = "False";
  t.d.on_object("pods", WatchType::Modified, pod);
  EXPECT_EQ(t.with("PodNotReady").size(), 2u);
  t.d.on_object("pods", WatchType::Deleted, pod);
  ASSERT_EQ(t.with("PodGone").size(), 1u);
  EXPECT_EQ(t.with("PodGone")[0].message, "pod deleted while not ready");
  // A pod that starts Ready reports nothing; a node deleted while NotReady ends its state.
  size_t n = t.out.size();
  t.d.on_object("pods", WatchType::Added, t.fx["pods"][0]);
  EXPECT_EQ(t.out.size(), n);
  t.d.on_object("nodes", WatchType::Deleted, t.fx["nodes"][1]);
  ASSERT_EQ(t.with("NodeGone").size(), 1u);
  EXPECT_EQ(t.with("NodeGone")[0].name, "node-2");
}
