// Metric samples of a pod the cluster model does not know yet wait for it,
// so a new pod's first samples carry its name; everything else passes at once.
#include "server/metric_hold.h"

#include <gtest/gtest.h>

#include "cluster_model_fixture.h"

namespace loupe::server {
namespace {

using nlohmann::json;
using namespace testing_model;
const std::string kCid(64, 'c');

// The pod as the collector sends it; without a container id while Pending.
json pod_change(uint64_t t, bool with_container) {
  json pod{{"uid", "u-new"},
           {"namespace", "shop"},
           {"name", "api-new"},
           {"phase", "Running"},
           {"owner_kind", "ReplicaSet"},
           {"owner_name", "api-5d9f"},
           {"start_ns", t},
           {"labels", {{"pod-template-hash", "5d9f"}}},
           {"containers", with_container ? json{{{"name", "api"}, {"id", kCid}}} : json::array()}};
  return json::array(
      {{{"seq", 1}, {"time_ns", t}, {"op", "upsert"}, {"kind", "pod"}, {"object", pod}}});
}

MetricSample sample(const char* entity, uint64_t t) {
  MetricSample s;
  s.time_ns = t;
  s.entity = entity;
  s.name = "/kubepods/burstable/podu-new" +
           std::string(entity == std::string("container") ? "/" + kCid : "");
  s.metric = "cpu_usage_cores";
  s.value = 0.5;
  s.pod_uid = "u-new";
  if (s.entity == "container") s.container_id = kCid;
  return s;
}

MetricSample node_sample(uint64_t t) {
  MetricSample s;
  s.time_ns = t;
  s.entity = "node";
  s.name = "node-1";
  s.metric = "node_load1";
  return s;
}

struct Fixture : ModelFixture {
  std::vector<MetricSample> out;
  bool fail = false;  // the store throws
  MetricHold hold{model,
                  [this](std::vector<MetricSample>&& s) {
                    if (fail) throw std::runtime_error("disk full");
                    for (auto& x : s) out.push_back(std::move(x));
                  },
                  {},
                  [this] { return now; }};
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& s : out) n.push_back(s.name);
    return n;
  }
};

TEST(MetricHold, BareHostPassesStraightThrough) {
  Fixture f;
  f.hold.submit({sample("pod", f.now), node_sample(f.now)});
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[0].name, "/kubepods/burstable/podu-new") << "no model: the cgroup path";
}

TEST(MetricHold, ANewPodsSamplesWaitForItsName) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.hold.submit({sample("pod", f.now), sample("container", f.now), node_sample(f.now)});
  EXPECT_EQ(f.names(), std::vector<std::string>{"node-1"}) << "the node passes, the pod waits";
  EXPECT_EQ(f.hold.stats().held, 2u);
  // The pod arrives Pending (no container id yet): the pod sample goes.
  f.now += kSec;
  f.model.ingest(payload("changes", pod_change(f.now - kSec, false)), f.now);
  f.hold.release_due();
  EXPECT_EQ(f.names(), (std::vector<std::string>{"node-1", "shop/api-new"}));
  EXPECT_EQ(f.out[1].workload, "shop/Deployment/api");
  // Its status names the container: the container sample goes too.
  f.model.ingest(payload("changes", pod_change(f.now - kSec, true)), f.now);
  f.hold.release_due();
  EXPECT_EQ(f.names(), (std::vector<std::string>{"node-1", "shop/api-new", "shop/api-new/api"}));
  EXPECT_EQ(f.hold.stats().named, 2u);
  EXPECT_EQ(f.hold.stats().held, 0u);
  // Later samples of the known pod are not held at all.
  f.hold.submit({sample("container", f.now)});
  EXPECT_EQ(f.out.back().name, "shop/api-new/api");
}

TEST(MetricHold, APodTheModelNeverLearnsIsStoredByItsPathAfterMaxWait) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.hold.submit({sample("pod", f.now)});
  f.now += 5 * kSec;
  f.hold.release_due();
  EXPECT_TRUE(f.out.empty());
  f.now += 2 * kSec;
  f.hold.release_due();
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].name, "/kubepods/burstable/podu-new");
  EXPECT_EQ(f.hold.stats().unnamed, 1u);
}

// The model current past a sample says nothing about an unknown pod (its
// cgroup exists, its object is coming), but a container of a known pod
// that no status names by then is a sandbox (pause) container.
TEST(MetricHold, AModelCurrentPastTheSampleReleasesOnlyUnnamedContainersOfKnownPods) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.hold.submit({sample("pod", f.now)});
  f.model.ingest(payload("changes", json::array()), f.now + 3 * kSec);  // a heartbeat
  f.hold.release_due();
  EXPECT_TRUE(f.out.empty()) << "an unknown pod waits for max_wait";
  f.model.ingest(payload("changes", pod_change(f.now, false)), f.now + 3 * kSec);
  f.hold.release_due();
  ASSERT_EQ(f.names(), std::vector<std::string>{"shop/api-new"});
  MetricSample pause = sample("container", f.now + 3 * kSec);
  pause.container_id = std::string(64, 'p');
  f.hold.submit({pause});
  EXPECT_EQ(f.out.size(), 1u) << "held: the model is not current past it yet";
  f.model.ingest(payload("changes", json::array()), f.now + 6 * kSec);
  f.hold.release_due();
  ASSERT_EQ(f.out.size(), 2u);
  EXPECT_EQ(f.out[1].name, pause.name) << "stored under its cgroup path";
  EXPECT_EQ(f.out[1].workload, "shop/Deployment/api");
  EXPECT_EQ(f.hold.stats().unnamed, 1u);
}

TEST(MetricHold, AFailedStoreKeepsNoneOfTheBatch) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.fail = true;
  EXPECT_THROW(f.hold.submit({node_sample(f.now), sample("pod", f.now)}), std::runtime_error);
  EXPECT_EQ(f.hold.stats().held, 0u) << "the agent sends the batch again";
}

TEST(MetricHold, FlushStoresEverythingHeld) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.hold.submit({sample("pod", f.now), sample("container", f.now)});
  EXPECT_TRUE(f.out.empty());
  f.hold.flush();
  EXPECT_EQ(f.out.size(), 2u);
}

}  // namespace
}  // namespace loupe::server
