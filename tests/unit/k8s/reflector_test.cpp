// The reflector against the fake API server: list+watch, paging, bookmarks,
// disconnects, 410 in both forms, token rotation, 401, malformed lines, TLS.
#include "k8s/reflector.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "core/small_file.h"
#include "fake_apiserver.h"

using namespace loupe::k8s;
using loupe::k8s::testing::eventually;
using loupe::k8s::testing::FakeApiServer;

namespace {

// Collects what a reflector delivers, by object name.
struct Collected {
  std::mutex mu;
  std::set<std::string> names;
  int replaces = 0;
  std::vector<std::string> log;  // "ADDED ns/name"

  ReflectorHandler handler() {
    return {[this](const Resource&, const std::vector<nlohmann::json>& items) {
              std::lock_guard<std::mutex> lock(mu);
              ++replaces;
              names.clear();
              for (const auto& it : items) names.insert(it["metadata"]["name"].get<std::string>());
            },
            [this](const Resource&, WatchType t, const nlohmann::json& obj) {
              std::lock_guard<std::mutex> lock(mu);
              std::string n = obj["metadata"]["name"];
              if (t == WatchType::Deleted)
                names.erase(n);
              else
                names.insert(n);
              log.push_back((t == WatchType::Added      ? "ADDED "
                             : t == WatchType::Modified ? "MODIFIED "
                                                        : "DELETED ") +
                            n);
            }};
  }
  bool has(const std::string& n) {
    std::lock_guard<std::mutex> lock(mu);
    return names.count(n) > 0;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return names.size();
  }
};

nlohmann::json new_pod(const std::string& name, const std::string& ip) {
  return {{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", "uid-" + name}}},
          {"spec", {{"nodeName", "node-1"}}},
          {"status", {{"phase", "Running"}, {"podIP", ip}}}};
}

ReflectorOptions fast_opts() {
  ReflectorOptions o;
  o.page_limit = 2;
  o.watch_timeout_s = 30;
  o.backoff_initial = std::chrono::milliseconds(20);
  o.backoff_max = std::chrono::milliseconds(200);
  return o;
}

class ReflectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start("t0k3n-1")) << "needs python3 and openssl (scripts/setup.sh --test)";
    token_file_ = server_.write_token("token", "t0k3n-1");
  }
  FakeApiServer server_;
  std::string token_file_;
};

TEST_F(ReflectorTest, ListPagesThenWatchDeliversEvents) {
  Collected c;
  Reflector r(server_.config(token_file_), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10))) << r.stats().last_error;
  EXPECT_EQ(c.size(), 5u);
  EXPECT_TRUE(c.has("db-0"));
  EXPECT_EQ(r.stats().pages, 3u);  // 5 pods, limit 2: continue was followed
  server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("late-1", "10.244.1.99")}});
  ASSERT_TRUE(eventually([&] { return c.has("late-1"); }));
  server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "DELETED"}, {"object", new_pod("late-1", "10.244.1.99")}});
  ASSERT_TRUE(eventually([&] { return !c.has("late-1"); }));
  auto st = server_.stats();
  EXPECT_EQ(st["lists"]["pods"], 1);
  r.stop();
}

TEST_F(ReflectorTest, FieldSelectorScopesToNode) {
  Collected c;
  auto o = fast_opts();
  o.field_selector = "spec.nodeName=node-2";
  Reflector r(server_.config(token_file_), *find_resource("pods"), o, c.handler());
  ASSERT_TRUE(r.list_once());
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(c.has("api-7d9f8b6c5d-q8w7z"));
}

TEST_F(ReflectorTest, BookmarksAdvanceResourceVersion) {
  server_.control("/_test/bookmarks", {{"interval", 0.1}});
  Collected c;
  Reflector r(server_.config(token_file_), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  // A change to another resource moves the global version; only a bookmark
  // can tell the pods watch about it.
  auto reply = server_.control(
      "/_test/apply", {{"resource", "services"},
                       {"type", "ADDED"},
                       {"object", {{"metadata", {{"name", "x"}, {"namespace", "shop"}}}}}});
  std::string rv = reply["resourceVersion"];
  ASSERT_TRUE(eventually([&] { return r.stats().resource_version == rv; }))
      << r.stats().resource_version << " vs " << rv;
  EXPECT_GT(r.stats().bookmarks, 0u);
  // A re-watch now starts from the bookmarked version.
  server_.control("/_test/close-watches", nlohmann::json::object());
  ASSERT_TRUE(eventually([&] {
    auto rvs = server_.stats()["watch_rvs"]["pods"];
    return rvs.size() >= 2 && std::to_string(rvs.back().get<int>()) == rv;
  }));
}

TEST_F(ReflectorTest, DisconnectRewatchesFromLastVersionWithoutRelist) {
  Collected c;
  Reflector r(server_.config(token_file_), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  auto applied = server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("p1", "10.244.1.50")}});
  // The handler sees p1 a moment before the reflector records its version.
  std::string rv_before = applied["resourceVersion"];
  ASSERT_TRUE(eventually([&] { return r.stats().resource_version == rv_before; }));
  server_.control("/_test/close-watches", nlohmann::json::object());
  // Made while the watch is down: must arrive through the re-watch.
  server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("p2", "10.244.1.51")}});
  ASSERT_TRUE(eventually([&] { return c.has("p2"); }));
  auto st = server_.stats();
  EXPECT_EQ(st["lists"]["pods"], 1);  // no relist
  EXPECT_GE(st["watches"]["pods"].get<int>(), 2);
  auto rvs = st["watch_rvs"]["pods"];
  EXPECT_EQ(std::to_string(rvs[1].get<int>()), rv_before);
  EXPECT_EQ(r.stats().relists_410, 0u);
}

void expect_relist_on_gone(FakeApiServer& server, const std::string& token_file,
                           const std::string& mode) {
  Collected c;
  Reflector r(server.config(token_file), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  server.control("/_test/gone", {{"mode", mode}, {"resource", "pods"}});
  server.control("/_test/close-watches", nlohmann::json::object());
  ASSERT_TRUE(eventually([&] { return r.stats().relists_410 == 1; })) << mode;
  ASSERT_TRUE(eventually([&] { return server.stats()["lists"]["pods"] == 2; }));
  EXPECT_EQ(server.stats()["gone_sent"], 1);
  // After the relist the watch works again.
  server.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("after-410", "10.244.1.60")}});
  ASSERT_TRUE(eventually([&] { return c.has("after-410"); }));
  EXPECT_EQ(c.size(), 6u);
}

TEST_F(ReflectorTest, Http410Relists) { expect_relist_on_gone(server_, token_file_, "http"); }
TEST_F(ReflectorTest, ErrorEvent410Relists) {
  expect_relist_on_gone(server_, token_file_, "event");
}

TEST_F(ReflectorTest, RereadsRotatedTokenOnReconnect) {
  Collected c;
  Reflector r(server_.config(token_file_), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  // The server counts a watch after its token passed, in the same step that
  // ties the watch to the next close-watches.
  ASSERT_TRUE(eventually([&] { return server_.stats()["watches"].contains("pods"); }));
  // The kubelet rotates the projected token; the old one stops working.
  server_.write_token("token", "t0k3n-2");
  server_.control("/_test/token", {{"token", "t0k3n-2"}});
  server_.control("/_test/close-watches", nlohmann::json::object());
  // Only a second watch proves the reconnect: an object applied before it
  // could still travel on the closing watch (the server sends what it has
  // before it closes), and the test would end before the reconnect.
  ASSERT_TRUE(eventually([&] { return server_.stats()["watches"]["pods"].get<int>() >= 2; }));
  server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("rotated", "10.244.1.70")}});
  ASSERT_TRUE(eventually([&] { return c.has("rotated"); }));
  auto tokens = server_.stats()["tokens"];
  EXPECT_EQ(tokens.back(), "t0k3n-2");
  EXPECT_EQ(server_.stats()["auth_failures"], 0);
}

TEST_F(ReflectorTest, UnauthorizedIsReportedClearly) {
  auto bad = server_.write_token("bad", "wrong");
  Collected c;
  Reflector r(server_.config(bad), *find_resource("pods"), fast_opts(), c.handler());
  EXPECT_FALSE(r.list_once());
  auto st = r.stats();
  EXPECT_EQ(st.last_status, 401);
  EXPECT_NE(st.last_error.find("401 Unauthorized"), std::string::npos) << st.last_error;
  EXPECT_NE(st.last_error.find(bad), std::string::npos) << st.last_error;
  EXPECT_FALSE(st.synced);
}

TEST_F(ReflectorTest, MalformedWatchLinesAreCountedAndSkipped) {
  Collected c;
  Reflector r(server_.config(token_file_), *find_resource("pods"), fast_opts(), c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  server_.control("/_test/raw", {{"resource", "pods"}, {"line", "{not json"}});
  server_.control("/_test/raw", {{"resource", "pods"}, {"line", R"({"type":"ADDED","object":7})"}});
  server_.control(
      "/_test/apply",
      {{"resource", "pods"}, {"type", "ADDED"}, {"object", new_pod("still-ok", "10.244.1.80")}});
  ASSERT_TRUE(eventually([&] { return c.has("still-ok"); }));
  EXPECT_EQ(r.stats().malformed, 2u);
}

TEST_F(ReflectorTest, RejectsServerNotSignedByConfiguredCa) {
  FakeApiServer other;
  ASSERT_TRUE(other.start("x"));
  auto cfg = server_.config(token_file_);
  cfg.ca_file = other.ca_file();  // a different self-signed CA
  Collected c;
  Reflector r(cfg, *find_resource("pods"), fast_opts(), c.handler());
  EXPECT_FALSE(r.list_once());
  EXPECT_EQ(r.stats().last_status, 0);
  EXPECT_NE(r.stats().last_error.find("list failed"), std::string::npos);
  // And with the right CA inline (certificate-authority-data) it works.
  cfg.ca_file.clear();
  cfg.ca_data = *loupe::read_small_file(server_.ca_file());
  Reflector ok(cfg, *find_resource("pods"), fast_opts(), c.handler());
  EXPECT_TRUE(ok.list_once()) << ok.stats().last_error;
}

TEST_F(ReflectorTest, EveryResourceListsFromItsApiGroup) {
  for (const auto& res : all_resources()) {
    Collected c;
    Reflector r(server_.config(token_file_), res, fast_opts(), c.handler());
    EXPECT_TRUE(r.list_once()) << res.name << ": " << r.stats().last_error;
    EXPECT_GT(c.size(), 0u) << res.name;
  }
}

TEST_F(ReflectorTest, StopInterruptsAnOpenWatchPromptly) {
  Collected c;
  auto o = fast_opts();
  o.watch_timeout_s = 300;
  Reflector r(server_.config(token_file_), *find_resource("pods"), o, c.handler());
  r.start();
  ASSERT_TRUE(r.wait_synced(std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  r.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

}  // namespace
