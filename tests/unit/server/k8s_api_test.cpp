// Kubernetes on the server: the collector's ingest, enrichment of agent
// records at ingest, history across restarts, events, /workloads, /pods, /map.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <thread>

#include "../k8s/fake_apiserver.h"  // k8s_test_dir()
#include "../store/temp_dir.h"
#include "core/record_json.h"
#include "core/time_format.h"
#include "server/api_server.h"

namespace loupe::server {
namespace {

using nlohmann::json;
constexpr uint64_t kSec = 1'000'000'000ULL;
const std::string kApiCid(64, 'a'), kWebCid(64, 'b');
const std::string kApiUid = "11111111-2222-3333-4444-555555555555";

json pod(const std::string& uid, const std::string& name, const std::string& ip,
         const std::string& rs, const std::string& app, const std::string& cid) {
  return {{"uid", uid},
          {"namespace", "shop"},
          {"name", name},
          {"node", "node-1"},
          {"phase", "Running"},
          {"ips", {ip}},
          {"host_network", false},
          {"labels", {{"app", app}, {"pod-template-hash", "5d9f"}}},
          {"owner_kind", "ReplicaSet"},
          {"owner_name", rs},
          {"containers", {{{"name", app}, {"id", cid}, {"runtime", "containerd"}}}},
          {"start_ns", 1},
          {"deleted_ns", 0}};
}

json snapshot_payload() {
  json snap{{"pods",
             {pod(kApiUid, "api-5d9f-x", "10.244.1.10", "api-5d9f", "api", kApiCid),
              pod("99999999-2222-3333-4444-555555555555", "web-5d9f-y", "10.244.2.20", "web-5d9f",
                  "web", kWebCid)}},
            {"services",
             {{{"namespace", "shop"},
               {"name", "api"},
               {"type", "ClusterIP"},
               {"cluster_ips", {"10.96.100.10"}},
               {"selector", {{"app", "api"}}}}}},
            {"workloads",
             {{{"kind", "ReplicaSet"},
               {"namespace", "shop"},
               {"name", "api-5d9f"},
               {"owner_kind", "Deployment"},
               {"owner_name", "api"}},
              {{"kind", "ReplicaSet"},
               {"namespace", "shop"},
               {"name", "web-5d9f"},
               {"owner_kind", "Deployment"},
               {"owner_name", "web"}}}},
            {"nodes", json::array()},
            {"endpointslices", json::array()},
            {"ip_history",
             {{{"ip", "10.244.1.10"}, {"uid", kApiUid}, {"from_ns", 1}, {"to_ns", 0}},
              {{"ip", "10.244.2.20"},
               {"uid", "99999999-2222-3333-4444-555555555555"},
               {"from_ns", 1},
               {"to_ns", 0}}}},
            {"seq", 2}};
  return {{"kind", "LoupeK8sIngest"}, {"version", 1},     {"type", "snapshot"},
          {"collector", "test"},      {"snapshot", snap}, {"changes", json::array()},
          {"events", json::array()}};
}

json heartbeat() {
  return {{"kind", "LoupeK8sIngest"},
          {"type", "changes"},
          {"changes", json::array()},
          {"events", json::array()}};
}

Record http(Role role, const std::string& local, const std::string& remote, uint64_t t) {
  Record r;
  r.start_ns = t;
  r.end_ns = t + 3'000'000;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = role == Role::Server ? 100 : 200;
  r.comm = role == Role::Server ? "python3" : "curl";
  r.local_addr = local;
  r.remote_addr = remote;
  r.method = "GET";
  r.route = "/";
  r.status = 200;
  return r;
}

class K8sApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start() {
    api_.reset();
    queue_.reset();
    store_.reset();
    store_ = store::open_sqlite_store(dir_.path() + "/db");
    pipeline::IngestOptions io;
    io.flush_interval = std::chrono::milliseconds(5);
    io.min_round_records = 0;
    queue_ = std::make_unique<pipeline::IngestQueue>(*store_, io);
    ApiOptions opts;
    opts.listen = "127.0.0.1:0";
    opts.token = "s3cret";
    api_ = std::make_unique<ApiServer>(*store_, *queue_, opts);
    api_->start();
    client_ = std::make_unique<httplib::Client>(api_->url());
    client_->set_bearer_token_auth("s3cret");
  }
  httplib::Result post(const std::string& path, const json& body) {
    return client_->Post(path.c_str(), body.dump(), "application/json");
  }
  json get(const std::string& path) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res && res->status == 200) << path << (res ? res->body : "");
    return res ? json::parse(res->body) : json();
  }
  // Agent records carry the container id in `container` and the pod uid in `pod`.
  void ingest_records(uint64_t t) {
    Record s = http(Role::Server, "10.244.1.10:8000", "10.244.2.20:51000", t);
    edit(s.local_identity).container = kApiCid;
    edit(s.local_identity).pod = kApiUid;
    Record c = http(Role::Client, "10.244.2.20:51000", "10.96.100.10:80", t);
    edit(c.local_identity).container = kWebCid;
    json body{{"records", {record_to_json(s), record_to_json(c)}}};
    auto res = post("/api/v1/ingest", body);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    queue_->flush();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::IngestQueue> queue_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(K8sApiTest, IngestNeedsTokenAndValidPayload) {
  httplib::Client anon(api_->url());
  auto res = anon.Post("/api/v1/k8s/ingest", snapshot_payload().dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = post("/api/v1/k8s/ingest", json{{"kind", "Nope"}});
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["parameter"], "kind");
  json bad = snapshot_payload();
  bad["type"] = "changes";
  bad["changes"] = {{{"op", "explode"}, {"kind", "pod"}, {"object", json::object()}}};
  res = post("/api/v1/k8s/ingest", bad);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["parameter"], "changes[0]");
}

TEST_F(K8sApiTest, RecordsAreEnrichedAtIngestAndResolveAfterRestart) {
  // Before any snapshot: records pass untouched (a bare host).
  uint64_t t = now_unix_ns() - 60 * kSec;
  ingest_records(t);
  json before = get("/api/v1/requests?limit=10");
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["namespace"], "");

  auto res = post("/api/v1/k8s/ingest", snapshot_payload());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;

  // Restart: the model comes back from the store. The collector's next
  // payload (here an empty heartbeat) says it is current.
  start();
  ASSERT_EQ(post("/api/v1/k8s/ingest", heartbeat())->status, 200);
  ingest_records(t + kSec);
  json j = get("/api/v1/requests?limit=2");
  ASSERT_EQ(j.size(), 2u);
  for (const auto& r : j) {
    if (r["role"] == "server") {
      EXPECT_EQ(r["namespace"], "shop");
      EXPECT_EQ(r["pod"], "api-5d9f-x");
      EXPECT_EQ(r["container"], "api");
      EXPECT_EQ(r["workload"], "Deployment/api");
      EXPECT_EQ(r["k8s_service"], "api");
      EXPECT_EQ(r["remote_pod"], "web-5d9f-y");
      EXPECT_EQ(r["remote_workload"], "Deployment/web");
      EXPECT_EQ(r["service"], "shop/Deployment/api");
    } else {
      EXPECT_EQ(r["pod"], "web-5d9f-y");
      EXPECT_EQ(r["workload"], "Deployment/web");
      EXPECT_EQ(r["remote_service"], "api") << "ClusterIP -> Service";
      EXPECT_EQ(r["remote_workload"], "Deployment/api") << "the Service's one workload";
      EXPECT_EQ(r["service"], "shop/Deployment/api");
      EXPECT_FALSE(r["counted"].get<bool>());
    }
  }
  // Both workloads are listed; only api served.
  json wl = get("/api/v1/workloads");
  ASSERT_EQ(wl.size(), 2u);
  EXPECT_EQ(wl[0]["name"], "shop/Deployment/api");
  EXPECT_EQ(wl[0]["requests"], 1);
  EXPECT_EQ(wl[1]["name"], "shop/Deployment/web");
  EXPECT_EQ(wl[1]["traffic"], false);
  json pods = get("/api/v1/pods?workload=shop/Deployment/api");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["pod"], "api-5d9f-x");
  json map = get("/api/v1/map");
  bool edge = false;
  for (const auto& e : map["edges"])
    if (e["caller"] == "shop/Deployment/web" && e["callee"] == "shop/Deployment/api") {
      edge = true;
      EXPECT_EQ(e["requests"], 1);
      EXPECT_EQ(e["protocol"], "http1");
    }
  EXPECT_TRUE(edge) << map.dump();
}

TEST_F(K8sApiTest, ChangesApplyAtTheirTime) {
  ASSERT_EQ(post("/api/v1/k8s/ingest", snapshot_payload())->status, 200);
  uint64_t t_del = now_unix_ns() - 30 * kSec;
  json del = pod(kApiUid, "api-5d9f-x", "10.244.1.10", "api-5d9f", "api", kApiCid);
  json p{{"kind", "LoupeK8sIngest"},
         {"type", "changes"},
         {"changes",
          {{{"seq", 3}, {"time_ns", t_del}, {"op", "delete"}, {"kind", "pod"}, {"object", del}}}},
         {"events", json::array()}};
  auto res = post("/api/v1/k8s/ingest", p);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["applied"], 1);
  // A call to the IP before the delete still names the pod; after, nobody.
  Record early = http(Role::Client, "192.0.2.1:5000", "10.244.1.10:8000", t_del - 10 * kSec);
  Record late = http(Role::Client, "192.0.2.1:5001", "10.244.1.10:8000", t_del + 10 * kSec);
  auto r = post("/api/v1/ingest", json{{"records", {record_to_json(early), record_to_json(late)}}});
  ASSERT_EQ(r->status, 200);
  queue_->flush();
  json j = get("/api/v1/requests?limit=2");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["remote_pod"], "") << "after the delete";
  EXPECT_EQ(j[1]["remote_pod"], "api-5d9f-x") << "before the delete";
}

TEST_F(K8sApiTest, EventsStoredDeduplicatedAndFiltered) {
  json p = snapshot_payload();
  uint64_t t = now_unix_ns() - 120 * kSec;
  json oom{{"time", format_rfc3339_ns(t)},
           {"time_ns", t},
           {"namespace", "shop"},
           {"kind", "Pod"},
           {"name", "db-0"},
           {"container", "postgres"},
           {"reason", "OOMKilled"},
           {"type", "Warning"},
           {"message", "container postgres terminated (OOMKilled, exit code 137)"},
           {"count", 1},
           {"exit_code", 137},
           {"source", "pod-status"}};
  json sched = oom;
  sched["reason"] = "FailedScheduling";
  sched["name"] = "api-x";
  sched["container"] = "";
  p["events"] = {oom, sched};
  ASSERT_EQ(post("/api/v1/k8s/ingest", p)->status, 200);
  ASSERT_EQ(post("/api/v1/k8s/ingest", p)->status, 200);  // a resend
  json all = get("/api/v1/events");
  ASSERT_EQ(all.size(), 2u);
  json only = get("/api/v1/events?reason=OOMKilled&namespace=shop&object=db-0&type=Warning");
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["exit_code"], 137);
  EXPECT_EQ(only[0]["container"], "postgres");
  EXPECT_EQ(only[0]["time_ns"], t);
  EXPECT_TRUE(
      get("/api/v1/events?reason=OOMKilled&from=" + std::to_string(now_unix_ns() / kSec - 10))
          .empty());
  EXPECT_EQ(get("/api/v1/events?limit=1").size(), 1u);
}

// The fixture cluster as `loupe cluster` would send it: every workload,
// with or without traffic, its pods' state, and the nodes.
TEST_F(K8sApiTest, InventoryListsEveryWorkloadPodAndNode) {
  std::ifstream in(k8s::testing::k8s_test_dir() + "/fixtures/cluster.json");
  json fx = json::parse(in);
  k8s::MetadataStore model;
  for (const char* res : {"replicasets", "deployments", "statefulsets", "daemonsets", "jobs",
                          "cronjobs", "services", "endpointslices", "nodes", "pods"})
    model.replace(res, std::vector<json>(fx[res].begin(), fx[res].end()));
  json p = snapshot_payload();
  p["snapshot"] = model.snapshot();
  ASSERT_EQ(post("/api/v1/k8s/ingest", p)->status, 200);

  std::map<std::string, json> wl;
  for (const auto& w : get("/api/v1/workloads")) wl[w["name"]] = w;
  ASSERT_EQ(wl.size(), 4u) << "Deployment, StatefulSet, DaemonSet, CronJob (not their RS/Job)";
  const json& api = wl["shop/Deployment/api"];
  EXPECT_EQ(api["kind"], "Deployment");
  EXPECT_EQ(api["desired_replicas"], 2);
  EXPECT_EQ(api["ready_replicas"], 2);
  EXPECT_EQ(api["pods"], 2);
  EXPECT_EQ(api["traffic"], false);
  EXPECT_EQ(api["requests"], 0);
  EXPECT_EQ(api["images"], json::array({"ghcr.io/acme/api:1.4.2"}));
  EXPECT_EQ(wl["shop/StatefulSet/db"]["restarts"], 1);
  EXPECT_EQ(wl["shop/CronJob/report"]["pods"], 1);
  EXPECT_TRUE(wl["shop/CronJob/report"]["desired_replicas"].is_null());
  EXPECT_EQ(get("/api/v1/workloads?namespace=nope").size(), 0u);

  json db = get("/api/v1/pods?workload=shop/StatefulSet/db");
  ASSERT_EQ(db.size(), 1u);
  EXPECT_EQ(db[0]["pod"], "db-0");
  EXPECT_EQ(db[0]["phase"], "Running");
  EXPECT_EQ(db[0]["qos_class"], "Guaranteed");
  EXPECT_EQ(db[0]["restarts"], 1);
  const json& pg = db[0]["containers"][0];
  EXPECT_EQ(pg["last_termination"]["reason"], "OOMKilled");
  EXPECT_EQ(pg["last_termination"]["exit_code"], 137);
  EXPECT_EQ(pg["last_termination"]["finished_at"], "2026-11-25T10:05:00.000000000Z");
  EXPECT_EQ(pg["limits"]["memory_bytes"], 1024.0 * 1024 * 1024);
  EXPECT_EQ(pg["requests"]["cpu_cores"], 0.5);
  size_t in_shop = 0;
  for (const auto& pod : fx["pods"]) in_shop += pod["metadata"]["namespace"] == "shop";
  EXPECT_EQ(get("/api/v1/pods?namespace=shop").size(), in_shop);

  // The kernel's OOM kill of a process in db-0 (an agent's event): the
  // pod's and workload's OOM kills, not a restart; the collector's
  // OOMKilled event from the container status is the restart.
  json kill{{"time_ns", now_unix_ns() - 60 * kSec},
            {"pid", 4242},
            {"command", "postgres"},
            {"cgroup", "/kubepods/podx"},
            {"pod_uid", db[0]["uid"]},
            {"node", "node-1"}};
  ASSERT_EQ(post("/api/v1/metrics/ingest", json{{"samples", json::array()}, {"oom_kills", {kill}}})
                ->status,
            200);
  json restart{{"time_ns", now_unix_ns() - 30 * kSec},
               {"namespace", "shop"},
               {"kind", "Pod"},
               {"name", "db-0"},
               {"reason", "OOMKilled"},
               {"type", "Warning"},
               {"count", 1},
               {"source", "pod-status"}};
  json with_event = snapshot_payload();
  with_event["snapshot"] = model.snapshot();
  with_event["events"] = {restart};
  ASSERT_EQ(post("/api/v1/k8s/ingest", with_event)->status, 200);
  json db_now = get("/api/v1/pods?workload=shop/StatefulSet/db")[0];
  EXPECT_EQ(db_now["oom_kills_in_window"], 1);
  EXPECT_EQ(db_now["restarts_in_window"], 1) << "the kernel's kill is not a restart";
  for (const auto& w : get("/api/v1/workloads"))
    if (w["name"] == "shop/StatefulSet/db") {
      EXPECT_EQ(w["oom_kills_in_window"], 1);
      EXPECT_EQ(w["restarts_in_window"], 1);
    }

  std::map<std::string, json> nodes;
  for (const auto& n : get("/api/v1/nodes")) nodes[n["name"]] = n;
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes["node-1"]["ready"], true);
  EXPECT_EQ(nodes["node-2"]["ready"], false);
  std::map<std::string, std::string> conds;
  for (const auto& c : nodes["node-1"]["conditions"]) conds[c["type"]] = c["status"];
  EXPECT_EQ(conds["DiskPressure"], "True");
  EXPECT_EQ(conds["MemoryPressure"], "False");
  EXPECT_EQ(nodes["node-1"]["capacity"]["cpu_cores"], 4.0);
  EXPECT_EQ(nodes["node-1"]["kubelet_version"], "v1.31.4");
  EXPECT_GE(nodes["node-1"]["pods"], 1);

  // Every list is bounded by `limit`.
  EXPECT_EQ(get("/api/v1/workloads?limit=2").size(), 2u);
  EXPECT_EQ(get("/api/v1/pods?limit=1").size(), 1u);
  EXPECT_EQ(get("/api/v1/nodes?limit=1").size(), 1u);
  for (const char* bad :
       {"/api/v1/workloads?limit=0", "/api/v1/pods?limit=x", "/api/v1/nodes?limit=100001"}) {
    auto res = client_->Get(bad);
    ASSERT_TRUE(res) << bad;
    EXPECT_EQ(res->status, 400) << bad;
  }
}

// A record of a pod the model does not know yet is held, then named once
// the collector's change arrives; /api/v1/status shows the waiting.
TEST_F(K8sApiTest, RecordsOfANewPodWaitForItsChange) {
  ASSERT_EQ(post("/api/v1/k8s/ingest", snapshot_payload())->status, 200);
  const std::string cid(64, 'e');
  Record r =
      http(Role::Server, "10.244.3.30:8000", "10.244.2.20:51000", now_unix_ns() - 1'900'000'000);
  edit(r.local_identity).container = cid;
  ASSERT_EQ(post("/api/v1/ingest", json{{"records", {record_to_json(r)}}})->status, 200);
  queue_->flush();
  EXPECT_TRUE(get("/api/v1/requests?limit=5").empty()) << "held for the model";
  EXPECT_EQ(get("/api/v1/status")["k8s"]["enrichment"]["waiting"], 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  json fresh = pod("77777777-2222-3333-4444-555555555555", "api-5d9f-z", "10.244.3.30", "api-5d9f",
                   "api", cid);
  json change{{"kind", "LoupeK8sIngest"},
              {"type", "changes"},
              {"changes",
               {{{"seq", 3},
                 {"time_ns", now_unix_ns()},
                 {"op", "upsert"},
                 {"kind", "pod"},
                 {"object", fresh}}}},
              {"events", json::array()}};
  ASSERT_EQ(post("/api/v1/k8s/ingest", change)->status, 200);
  json got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    queue_->flush();
    got = get("/api/v1/requests?limit=5");
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["pod"], "api-5d9f-z");
  EXPECT_EQ(got[0]["workload"], "Deployment/api");
  EXPECT_EQ(got[0]["remote_pod"], "web-5d9f-y");
}

}  // namespace
}  // namespace loupe::server
