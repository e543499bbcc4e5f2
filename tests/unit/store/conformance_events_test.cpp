// Conformance: Kubernetes events (newest first, filters, a repeat of the
// same event updating it, the window, retention) give the same answers
// from every backend; the metadata history stays with the Store.
#include "conformance.h"

namespace loupe::store::testing {
namespace {

using EventConformance = StoreConformance;

ClusterEvent event(uint64_t t_ns, const std::string& name, const std::string& reason,
                   const std::string& type = "Warning", int64_t count = 1) {
  ClusterEvent e;
  e.time_ns = t_ns;
  e.namespace_ = "shop";
  e.kind = "Pod";
  e.name = name;
  e.container = "api";
  e.reason = reason;
  e.message = reason + " of " + name;
  e.type = type;
  e.count = count;
  e.exit_code = reason == "OOMKilled" ? 137 : 0;
  e.first_ns = t_ns;
  e.last_ns = t_ns;
  e.source = "pod-status";
  return e;
}

std::vector<std::string> names(const std::vector<ClusterEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name + " " + e.reason);
  return out;
}

EventQuery window(uint64_t from_ns, uint64_t to_ns) {
  EventQuery q;
  q.range = {from_ns, to_ns};
  return q;
}

TEST_P(EventConformance, NewestFirstFilteredAndUpdatedByRepeats) {
  K8sIngest in;
  in.received_ns = kT0;
  in.events = {event(kT0 + 1 * kSec, "api-1", "OOMKilled"),
               event(kT0 + 2 * kSec, "api-2", "CrashLoopBackOff"),
               event(kT0 + 3 * kSec, "web-1", "Started", "Normal")};
  in.events[0].details = {{"pid", 42}, {"command", "java"}};
  store().write_k8s(in);
  // The collector sends the crash loop again, counted further.
  auto again = event(kT0 + 2 * kSec, "api-2", "CrashLoopBackOff", "Warning", 5);
  again.message = "back-off 5m";
  again.last_ns = kT0 + 300 * kSec;
  store().write_events({again});

  auto all = store().events(window(kT0, kT0 + 3600 * kSec));
  using V = std::vector<std::string>;
  EXPECT_EQ(names(all), (V{"web-1 Started", "api-2 CrashLoopBackOff", "api-1 OOMKilled"}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].count, 5);
  EXPECT_EQ(all[1].message, "back-off 5m");
  EXPECT_EQ(all[1].last_ns, kT0 + 300 * kSec);
  EXPECT_EQ(all[2].exit_code, 137);
  EXPECT_EQ(all[2].details.value("command", ""), "java");
  EXPECT_EQ(all[2].source, "pod-status");
  EXPECT_TRUE(all[0].details.is_null());

  auto q = window(kT0, kT0 + 3600 * kSec);
  q.type = "Warning";
  EXPECT_EQ(names(store().events(q)), (V{"api-2 CrashLoopBackOff", "api-1 OOMKilled"}));
  q.reason = "OOMKilled";
  EXPECT_EQ(names(store().events(q)), V{"api-1 OOMKilled"});
  q = window(kT0, kT0 + 3600 * kSec);
  q.object = "web-1";
  EXPECT_EQ(names(store().events(q)), V{"web-1 Started"});
  q.object.reset();
  q.namespace_ = "other";
  EXPECT_TRUE(store().events(q).empty());
  q = window(kT0, kT0 + 3600 * kSec);
  q.limit = 2;
  EXPECT_EQ(names(store().events(q)), (V{"web-1 Started", "api-2 CrashLoopBackOff"}));
  EXPECT_EQ(names(store().events(window(kT0 + 2 * kSec, kT0 + 3 * kSec))),
            V{"api-2 CrashLoopBackOff"});
}

TEST_P(EventConformance, HistoryStaysAndEventsExpireWithRetention) {
  K8sIngest in;
  in.received_ns = kT0;
  in.snapshot = R"({"pods": []})";
  in.changes = {R"({"op": "add"})"};
  in.events = {event(kT0 + kSec, "old-1", "Evicted")};
  store().write_k8s(in);
  store().write_events({event(kT0 + 7200 * kSec, "new-1", "Evicted")});
  reopen({.retention_ns = 3600 * kSec});
  auto history = store().k8s_history();
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->snapshot, R"({"pods": []})");
  EXPECT_EQ(history->changes.size(), 1u);
  store().enforce_retention(kT0 + 7200 * kSec);
  EXPECT_EQ(names(store().events(window(0, kT0 + 86400 * kSec))),
            std::vector<std::string>{"new-1 Evicted"});
}

INSTANTIATE_TEST_SUITE_P(Backends, EventConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
