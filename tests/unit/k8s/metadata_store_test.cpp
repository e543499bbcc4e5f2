#include "k8s/metadata_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/record_json.h"
#include "core/time_format.h"
#include "fake_apiserver.h"  // k8s_test_dir()

using namespace loupe::k8s;
using loupe::Record;

namespace {

constexpr uint64_t kSec = 1000000000ull;

nlohmann::json fixtures() {
  std::ifstream in(loupe::k8s::testing::k8s_test_dir() + "/fixtures/cluster.json");
  return nlohmann::json::parse(in);
}

// A store loaded from the fixture cluster at a controllable time.
struct Cluster {
  uint64_t now = 2000000000ull * kSec;  // 2033: after the fixtures' start times
  MetadataStore store{StoreOptions{}, [this] { return now; }};
  nlohmann::json fx = fixtures();
  Cluster() {
    for (const char* res : {"replicasets", "deployments", "statefulsets", "daemonsets", "jobs",
                            "cronjobs", "services", "endpointslices", "nodes", "pods"}) {
      std::vector<nlohmann::json> items(fx[res].begin(), fx[res].end());
      store.replace(res, items);
    }
  }
  std::string container_id(size_t pod) {
    std::string id = fx["pods"][pod]["status"]["containerStatuses"][0]["containerID"];
    return id.substr(std::string("containerd://").size());
  }
};

nlohmann::json pod(const std::string& uid, const std::string& name, const std::string& ip,
                   const std::string& phase = "Running") {
  return {{"metadata",
           {{"uid", uid}, {"namespace", "shop"}, {"name", name}, {"labels", {{"app", "x"}}}}},
          {"spec", {{"nodeName", "node-1"}}},
          {"status", {{"phase", phase}, {"podIP", ip}}}};
}

}  // namespace

TEST(MetadataStore, LoadsTheFixtureCluster) {
  Cluster c;
  auto n = c.store.counts();
  EXPECT_EQ(n.pods, 5u);
  EXPECT_EQ(n.services, 3u);
  EXPECT_EQ(n.nodes, 2u);
  EXPECT_EQ(n.workloads, 6u);
}

TEST(MetadataStore, WorkloadsFollowOwnerChains) {
  Cluster c;
  EXPECT_EQ(c.store.workload_of(*c.store.pod_by_ip("10.244.1.10", 0)), "Deployment/api");
  EXPECT_EQ(c.store.workload_of(*c.store.pod_by_ip("10.244.1.20", 0)), "StatefulSet/db");
  EXPECT_EQ(c.store.workload_of(*c.store.pod_by_ip("10.244.2.30", 0)), "CronJob/report");
  EXPECT_EQ(c.store.workload_of(*c.store.pod_by_ip("10.244.1.5", 0)), "DaemonSet/node-agent");
}

TEST(MetadataStore, ReplicaSetNotYetKnownFallsBackToPodTemplateHash) {
  MetadataStore s;
  auto p = pod("u1", "web-6f7c8d9b4-abcde", "10.244.3.3");
  p["metadata"]["labels"]["pod-template-hash"] = "6f7c8d9b4";
  p["metadata"]["ownerReferences"] = {
      {{"kind", "ReplicaSet"}, {"name", "web-6f7c8d9b4"}, {"controller", true}}};
  s.apply("pods", WatchType::Added, p);
  EXPECT_EQ(s.workload_of(*s.pod_by_uid("u1")), "Deployment/web");
  auto bare = pod("u2", "debug", "10.244.3.4");
  s.apply("pods", WatchType::Added, bare);
  EXPECT_EQ(s.workload_of(*s.pod_by_uid("u2")), "Pod/debug");
}

TEST(MetadataStore, EnrichLocalFromContainerIdAndRemoteClusterIp) {
  Cluster c;
  Record r;
  r.start_ns = c.now;
  r.local_addr = "10.244.1.10:41234";
  r.remote_addr = "10.96.100.20:5432";
  ContainerIdentity local{c.container_id(0), "", "containerd", "burstable"};
  c.store.enrich(r, local);
  EXPECT_EQ(r.namespace_(), "shop");
  EXPECT_EQ(r.pod(), "api-7d9f8b6c5d-x2k4p");
  EXPECT_EQ(r.container(), "api");
  EXPECT_EQ(r.node(), "node-1");
  EXPECT_EQ(r.workload(), "Deployment/api");
  EXPECT_EQ(r.service(), "api");
  // The client saw the ClusterIP: the Service, not a pod.
  EXPECT_EQ(r.remote_service(), "db");
  EXPECT_EQ(r.remote_namespace(), "shop");
  EXPECT_EQ(r.remote_pod(), "");
}

TEST(MetadataStore, EnrichServerSideRemotePodAndPodUidOnly) {
  Cluster c;
  Record r;
  r.start_ns = c.now;
  r.remote_addr = "10.244.2.11:50000";
  ContainerIdentity local;
  local.pod_uid = c.fx["pods"][2]["metadata"]["uid"];
  c.store.enrich(r, local);
  EXPECT_EQ(r.pod(), "db-0");
  EXPECT_EQ(r.container(), "postgres");  // the pod's only container
  EXPECT_EQ(r.workload(), "StatefulSet/db");
  EXPECT_EQ(r.remote_pod(), "api-7d9f8b6c5d-q8w7z");
  EXPECT_EQ(r.remote_workload(), "Deployment/api");
  EXPECT_EQ(r.remote_service(), "api");
}

TEST(MetadataStore, ExternalPeersAndUnknownProcessesStayEmpty) {
  Cluster c;
  c.store.set_local_node("node-9");
  Record r;
  r.start_ns = c.now;
  r.local_addr = "192.168.0.1:22";
  r.remote_addr = "[2001:db8::1]:443";
  c.store.enrich(r, ContainerIdentity{});
  EXPECT_EQ(r.pod(), "");
  EXPECT_EQ(r.node(), "node-9");
  EXPECT_EQ(r.remote_namespace(), "");
  EXPECT_EQ(r.remote_pod(), "");
  EXPECT_EQ(r.remote_service(), "");
}

TEST(MetadataStore, ReusedPodIpResolvesByTime) {
  uint64_t now = 100 * kSec;
  MetadataStore s(StoreOptions{}, [&] { return now; });
  s.apply("pods", WatchType::Added, pod("old", "old-pod", "10.244.1.50"));
  now = 200 * kSec;
  s.apply("pods", WatchType::Deleted, pod("old", "old-pod", "10.244.1.50"));
  now = 300 * kSec;
  s.apply("pods", WatchType::Added, pod("new", "new-pod", "10.244.1.50"));
  EXPECT_EQ(s.pod_by_ip("10.244.1.50", 150 * kSec)->name, "old-pod");
  EXPECT_FALSE(s.pod_by_ip("10.244.1.50", 250 * kSec));
  EXPECT_EQ(s.pod_by_ip("10.244.1.50", 350 * kSec)->name, "new-pod");
  EXPECT_EQ(s.pod_by_ip("10.244.1.50", 0)->name, "new-pod");
  Record r;
  r.start_ns = 150 * kSec;
  r.remote_addr = "10.244.1.50:8080";
  s.enrich(r, {});
  EXPECT_EQ(r.remote_pod(), "old-pod");
}

TEST(MetadataStore, MissedDeletionStillEndsTheOldHolder) {
  uint64_t now = 100 * kSec;
  MetadataStore s(StoreOptions{}, [&] { return now; });
  s.apply("pods", WatchType::Added, pod("a", "a", "10.244.1.60"));
  now = 200 * kSec;
  s.apply("pods", WatchType::Added, pod("b", "b", "10.244.1.60"));  // a's DELETE was missed
  EXPECT_EQ(s.pod_by_ip("10.244.1.60", 150 * kSec)->name, "a");
  EXPECT_EQ(s.pod_by_ip("10.244.1.60", 250 * kSec)->name, "b");
  // A completed pod gives its IP back.
  now = 300 * kSec;
  s.apply("pods", WatchType::Modified, pod("b", "b", "10.244.1.60", "Succeeded"));
  EXPECT_FALSE(s.pod_by_ip("10.244.1.60", 350 * kSec));
}

TEST(MetadataStore, RelistDropsWhatDisappeared) {
  Cluster c;
  std::vector<nlohmann::json> pods(c.fx["pods"].begin(), c.fx["pods"].begin() + 2);
  c.now += kSec;
  c.store.replace("pods", pods);
  EXPECT_EQ(c.store.counts().pods, 2u);
  EXPECT_FALSE(c.store.pod_by_ip("10.244.1.20", 0));
  // ...but a record from before the deletion still resolves.
  EXPECT_EQ(c.store.pod_by_ip("10.244.1.20", c.now - kSec / 2)->name, "db-0");
  std::vector<nlohmann::json> svcs = {c.fx["services"][0]};
  c.store.replace("services", svcs);
  EXPECT_FALSE(c.store.service_by_cluster_ip("10.96.100.20"));
  EXPECT_TRUE(c.store.service_by_cluster_ip("10.96.100.10"));
}

TEST(MetadataStore, SnapshotRoundTripsAndChangesDrain) {
  Cluster c;
  bool overflow = true;
  auto changes = c.store.drain_changes(&overflow);
  EXPECT_FALSE(overflow);
  EXPECT_GT(changes.size(), 10u);
  EXPECT_EQ(changes.front()["op"], "upsert");
  EXPECT_TRUE(c.store.drain_changes(nullptr).empty());

  auto snap = c.store.snapshot();
  MetadataStore copy;
  std::string err;
  ASSERT_TRUE(copy.load_snapshot(nlohmann::json::parse(snap.dump()), &err)) << err;
  Record a, b;
  a.start_ns = b.start_ns = c.now;
  a.remote_addr = b.remote_addr = "10.244.2.30:9000";
  ContainerIdentity local{c.container_id(0), "", "", ""};
  c.store.enrich(a, local);
  copy.enrich(b, local);
  EXPECT_EQ(b.pod(), "api-7d9f8b6c5d-x2k4p");
  EXPECT_EQ(b.remote_workload(), "CronJob/report");
  EXPECT_EQ(loupe::record_to_json(a), loupe::record_to_json(b));
  EXPECT_FALSE(copy.load_snapshot(nlohmann::json{{"pods", 3}}, &err));
}

TEST(MetadataStore, SurvivesMalformedObjects) {
  MetadataStore s;
  for (const char* res : {"pods", "services", "nodes", "endpointslices", "replicasets", "bogus"}) {
    s.apply(res, WatchType::Added,
            nlohmann::json::parse(R"({"metadata":7,"spec":[],"status":"x"})"));
    s.apply(res, WatchType::Added,
            nlohmann::json::parse(
                R"({"metadata":{"name":1,"uid":{},"labels":[]},
                                          "spec":{"clusterIPs":[1,null],"selector":"x"},
                                          "status":{"podIPs":[{"ip":5}],"containerStatuses":[3],
                                                    "conditions":{"a":1}}})"));
    s.apply(res, WatchType::Deleted, nlohmann::json("string"));
  }
  EXPECT_EQ(s.counts().pods, 0u);
}

TEST(IpOf, Forms) {
  EXPECT_EQ(ip_of("10.0.0.1:80"), "10.0.0.1");
  EXPECT_EQ(ip_of("[fd00::1]:80"), "fd00::1");
  EXPECT_EQ(ip_of("fd00::1"), "fd00::1");
  EXPECT_EQ(ip_of("10.0.0.1"), "10.0.0.1");
}

namespace {

// A server replays a collector's snapshot + changes and ends with the same
// model, IP history dated by the changes' time_ns.
TEST(MetadataStore, ServerReplaysSnapshotAndChanges) {
  Cluster c;
  MetadataStore server;
  ASSERT_TRUE(server.load_snapshot(c.store.snapshot(), nullptr));
  c.store.drain_changes(nullptr);
  c.now += 10 * kSec;
  c.store.apply("pods", WatchType::Deleted, c.fx["pods"][0]);
  c.now += 10 * kSec;
  c.store.apply("pods", WatchType::Added, pod("u-new", "new", "10.244.1.10"));
  for (const auto& ch : c.store.drain_changes(nullptr)) {
    std::string err;
    ASSERT_TRUE(server.apply_change(ch, &err)) << err;
  }
  std::string ip = c.fx["pods"][0]["status"]["podIP"];
  EXPECT_EQ(server.pod_by_ip(ip, c.now - 15 * kSec)->name, c.fx["pods"][0]["metadata"]["name"]);
  EXPECT_EQ(server.pod_by_ip(ip, 0)->name, "new");
  EXPECT_EQ(server.snapshot()["ip_history"], c.store.snapshot()["ip_history"]);

  std::string err;
  EXPECT_FALSE(server.apply_change(
      {{"op", "upsert"}, {"kind", "gizmo"}, {"object", nlohmann::json::object()}}, &err));
  EXPECT_NE(err.find("gizmo"), std::string::npos);
  EXPECT_FALSE(server.apply_change({{"op", "upsert"}, {"kind", "pod"}}, &err));
}

TEST(MetadataStore, WorkloadOfServiceWhenUnambiguous) {
  Cluster c;
  EXPECT_EQ(c.store.workload_of_service("shop", "api"), "Deployment/api");
  EXPECT_EQ(c.store.workload_of_service("shop", "nope"), "");
  // A second workload behind the same selector: no single answer.
  auto other = pod("u-other", "other-0", "10.244.9.9");
  other["metadata"]["labels"] = {{"app", "api"}};
  other["metadata"]["ownerReferences"] = {
      {{"kind", "StatefulSet"}, {"name", "other"}, {"controller", true}}};
  c.store.apply("pods", WatchType::Added, other);
  EXPECT_EQ(c.store.workload_of_service("shop", "api"), "");
}

}  // namespace

// A pod whose deletion reaches Loupe after another pod took its IP: the old
// pod's interval ends when its containers exited (or at the latest when the
// new pod started), so the new pod's first requests are its own.
TEST(MetadataStore, ReusedIpBeforeTheOldDeleteArrivesNamesTheNewPod) {
  uint64_t now = 2000000000ull * kSec;
  MetadataStore s{StoreOptions{}, [&] { return now; }};
  auto old_pod = pod("old", "api-old", "10.244.5.5");
  s.apply("pods", WatchType::Added, old_pod);
  // The old pod stops at T; the new one starts at T+1 s with the same IP;
  // Loupe sees the new pod at T+3 s and the old one's delete at T+4 s.
  uint64_t t = now + 10 * kSec;
  old_pod["status"]["containerStatuses"] = {
      {{"name", "x"}, {"state", {{"terminated", {{"finishedAt", loupe::format_rfc3339_ns(t)}}}}}}};
  old_pod["spec"]["containers"] = {{{"name", "x"}}};
  s.apply("pods", WatchType::Modified, old_pod);
  auto fresh = pod("new", "api-new", "10.244.5.5");
  fresh["status"]["startTime"] = loupe::format_rfc3339_ns(t + kSec);
  now = t + 3 * kSec;
  s.apply("pods", WatchType::Added, fresh);
  now = t + 4 * kSec;
  s.apply("pods", WatchType::Deleted, old_pod);
  EXPECT_EQ(s.pod_by_ip("10.244.5.5", t - kSec)->name, "api-old");
  EXPECT_EQ(s.pod_by_ip("10.244.5.5", t + 2 * kSec)->name, "api-new");
  EXPECT_EQ(s.pod_by_ip("10.244.5.5", t + 5 * kSec)->name, "api-new");

  // Without container states, the new pod's start is the boundary.
  auto a = pod("a", "a", "10.244.6.6");
  s.apply("pods", WatchType::Added, a);
  auto b = pod("b", "b", "10.244.6.6");
  b["status"]["startTime"] = loupe::format_rfc3339_ns(t + 20 * kSec);
  now = t + 25 * kSec;
  s.apply("pods", WatchType::Added, b);
  EXPECT_EQ(s.pod_by_ip("10.244.6.6", t + 19 * kSec)->name, "a");
  EXPECT_EQ(s.pod_by_ip("10.244.6.6", t + 21 * kSec)->name, "b");
}
