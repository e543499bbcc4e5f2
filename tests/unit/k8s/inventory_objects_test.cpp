// The inventory fields Loupe reads from real-shaped API objects: container
// states and last terminations, requests/limits, replica counts, node
// conditions and capacity; and objects with fields missing.
#include <gtest/gtest.h>

#include <fstream>

#include "fake_apiserver.h"  // k8s_test_dir()
#include "k8s/metadata_store.h"
#include "k8s/objects.h"
#include "k8s/quantity.h"

using namespace loupe::k8s;

namespace {

nlohmann::json fixtures() {
  std::ifstream in(loupe::k8s::testing::k8s_test_dir() + "/fixtures/cluster.json");
  return nlohmann::json::parse(in);
}

const nlohmann::json& named(const nlohmann::json& list, const std::string& name) {
  for (const auto& o : list)
    if (o["metadata"]["name"] == name) return o;
  throw std::runtime_error("no " + name);
}

}  // namespace

TEST(Quantity, ParsesTheApiGrammar) {
  EXPECT_DOUBLE_EQ(*parse_quantity("500m"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_quantity("2"), 2);
  EXPECT_DOUBLE_EQ(*parse_quantity("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_quantity("128Mi"), 128.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*parse_quantity("16365160Ki"), 16365160.0 * 1024);
  EXPECT_DOUBLE_EQ(*parse_quantity("1G"), 1e9);
  EXPECT_DOUBLE_EQ(*parse_quantity("1e3"), 1000);
  EXPECT_DOUBLE_EQ(*parse_quantity("+4"), 4);
  for (const char* bad : {"", "m", "1x", "Mi", "1.2.3Gi", "1e", "1e999", "--1", "1 Gi"})
    EXPECT_FALSE(parse_quantity(bad)) << bad;
}

TEST(InventoryObjects, PodStateLastTerminationAndResources) {
  auto fx = fixtures();
  PodInfo db = pod_from_api(named(fx["pods"], "db-0"));
  ASSERT_EQ(db.containers.size(), 1u);
  const ContainerInfo& pg = db.containers[0];
  EXPECT_EQ(pg.name, "postgres");
  EXPECT_EQ(pg.image, "postgres:16");
  EXPECT_EQ(pg.state, "running");
  EXPECT_TRUE(pg.ready);
  EXPECT_EQ(pg.restarts, 1);
  ASSERT_TRUE(pg.last_termination);
  EXPECT_EQ(pg.last_termination->reason, "OOMKilled");
  EXPECT_EQ(pg.last_termination->exit_code, 137);
  EXPECT_EQ(pg.last_termination->finished_ns, 1795601100ull * 1000000000ull);  // 10:05:00Z
  EXPECT_DOUBLE_EQ(*pg.requests.cpu_cores, 0.5);
  EXPECT_DOUBLE_EQ(*pg.limits.memory_bytes, 1024.0 * 1024 * 1024);
  EXPECT_EQ(db.qos_class, "Guaranteed");
  EXPECT_TRUE(db.ready);
  EXPECT_EQ(db.restarts(), 1);

  PodInfo report = pod_from_api(named(fx["pods"], "report-29410560-7xk2p"));
  ASSERT_EQ(report.containers.size(), 1u);
  EXPECT_EQ(report.containers[0].state, "waiting");
  EXPECT_EQ(report.containers[0].state_reason, "CrashLoopBackOff");
  EXPECT_EQ(report.containers[0].last_termination->reason, "Error");
  EXPECT_FALSE(report.containers[0].limits.cpu_cores) << "no CPU limit in the spec";
  EXPECT_FALSE(report.ready);

  // The compact form the collector sends keeps all of it.
  PodInfo back = pod_from_json(to_json(db));
  EXPECT_EQ(back.containers[0].last_termination->reason, "OOMKilled");
  EXPECT_EQ(back.containers[0].limits.memory_bytes, pg.limits.memory_bytes);
  EXPECT_EQ(back.qos_class, "Guaranteed");
}

TEST(InventoryObjects, WorkloadReplicasAndImages) {
  auto fx = fixtures();
  WorkloadInfo dep = workload_from_api("Deployment", named(fx["deployments"], "api"));
  EXPECT_EQ(dep.desired, 2);
  EXPECT_EQ(dep.ready, 2);
  EXPECT_EQ(dep.images, std::vector<std::string>{"ghcr.io/acme/api:1.4.2"});
  WorkloadInfo ds = workload_from_api("DaemonSet", named(fx["daemonsets"], "node-agent"));
  EXPECT_EQ(ds.desired, 2);
  EXPECT_EQ(ds.ready, 1);
  WorkloadInfo cj = workload_from_api("CronJob", named(fx["cronjobs"], "report"));
  EXPECT_EQ(cj.desired, -1) << "a CronJob has no replicas";
  EXPECT_EQ(cj.images, std::vector<std::string>{"ghcr.io/acme/report:2"});
  EXPECT_EQ(workload_from_json(to_json(dep)).images, dep.images);
}

TEST(InventoryObjects, NodeConditionsCapacityAndVersions) {
  auto fx = fixtures();
  NodeInfo n = node_from_api(named(fx["nodes"], "node-1"));
  EXPECT_TRUE(n.ready);
  bool disk_pressure = false;
  for (const auto& c : n.conditions)
    disk_pressure |= c.type == "DiskPressure" && c.status == "True";
  EXPECT_TRUE(disk_pressure);
  EXPECT_DOUBLE_EQ(*n.capacity.cpu_cores, 4);
  EXPECT_DOUBLE_EQ(*n.allocatable.cpu_cores, 3.8);
  EXPECT_DOUBLE_EQ(*n.allocatable.pods, 110);
  EXPECT_EQ(n.kernel_version, "6.1.0-28-amd64");
  EXPECT_EQ(n.kubelet_version, "v1.31.4");
  NodeInfo back = node_from_json(to_json(n));
  EXPECT_EQ(back.conditions.size(), n.conditions.size());
  EXPECT_EQ(back.capacity.memory_bytes, n.capacity.memory_bytes);
  EXPECT_FALSE(node_from_api(named(fx["nodes"], "node-2")).ready);
}

TEST(InventoryObjects, MissingAndMistypedFieldsAreCountedAndSkipped) {
  MetadataStore s;
  // No metadata at all, no uid, wrong types everywhere: skipped, counted.
  s.apply("pods", WatchType::Added, nlohmann::json::object());
  s.apply("pods", WatchType::Added, {{"metadata", {{"name", "no-uid"}}}});
  s.apply("nodes", WatchType::Added, {{"status", {{"conditions", "nope"}}}});
  s.apply("deployments", WatchType::Added, {{"spec", {{"replicas", "two"}}}});
  EXPECT_EQ(s.counts().skipped, 4u);
  EXPECT_EQ(s.pods().size(), 0u);
  // A pod with a uid but little else is kept, with empty state.
  s.apply("pods", WatchType::Added,
          {{"metadata", {{"uid", "u1"}, {"name", "bare"}}},
           {"spec", {{"containers", {{{"name", 7}}, {{"name", "c"}, {"resources", 3}}}}}},
           {"status",
            {{"containerStatuses",
              {{{"name", "c"}, {"state", "weird"}, {"lastState", {{"terminated", 1}}}}}},
             {"conditions", {{{"type", "Ready"}}}}}}});
  auto pods = s.pods();
  ASSERT_EQ(pods.size(), 1u);
  ASSERT_EQ(pods[0].containers.size(), 1u);
  EXPECT_EQ(pods[0].containers[0].state, "");
  EXPECT_FALSE(pods[0].containers[0].last_termination);
  EXPECT_FALSE(pods[0].containers[0].requests.cpu_cores);
  WorkloadInfo w = workload_from_api(
      "Deployment", {{"metadata", {{"name", "d"}}}, {"spec", {{"replicas", "two"}}}});
  EXPECT_EQ(w.desired, 1) << "a mistyped replicas reads as the API default";
}
