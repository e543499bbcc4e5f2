// The service map (/api/v1/map) and Kubernetes RED (/workloads, /pods):
// who calls whom, each exchange drawn once.
#include <gtest/gtest.h>

#include <map>

#include "pipeline/record_pipeline.h"
#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kMs = 1'000'000ULL;
constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;  // a minute boundary
const TimeRange kHour{kT0, kT0 + 3600 * kSec};

Record rec(Role role, uint32_t pid, const std::string& comm, const std::string& local,
           const std::string& remote, uint64_t start_ns, uint64_t dur_ns, int status = 200) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + dur_ns;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = pid;
  r.comm = comm;
  r.local_addr = local;
  r.remote_addr = remote;
  r.method = "GET";
  r.route = "/x";
  r.status = status;
  r.error = status >= 500;
  return r;
}

std::map<std::pair<std::string, std::string>, MapEdge> by_pair(const std::vector<MapEdge>& v) {
  std::map<std::pair<std::string, std::string>, MapEdge> out;
  for (const auto& e : v) out[{e.caller, e.callee}] = e;
  return out;
}

TEST(ServiceMap, BareHostCallersAndCallees) {
  testing::TempDir dir;
  auto st = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*st);
  std::vector<Record> b;
  uint64_t t = kT0 + 5 * kSec;
  // api serves on 9000 (pid 30); web serves on 8000 (pid 10) and calls api.
  for (int i = 0; i < 4; ++i) {
    b.push_back(rec(Role::Server, 30, "api", "127.0.0.1:9000", "127.0.0.1:40000", t, 5 * kMs,
                    i == 0 ? 500 : 200));
    b.push_back(rec(Role::Client, 10, "web", "127.0.0.1:40000", "127.0.0.1:9000", t, 6 * kMs,
                    i == 0 ? 500 : 200));
  }
  // curl (pid 20) calls web: both sides traced.
  b.push_back(rec(Role::Server, 10, "web", "127.0.0.1:8000", "127.0.0.1:41000", t, 20 * kMs));
  b.push_back(rec(Role::Client, 20, "curl", "127.0.0.1:41000", "127.0.0.1:8000", t, 21 * kMs));
  // An external client calls web; web calls an external API.
  b.push_back(rec(Role::Server, 10, "web", "127.0.0.1:8000", "203.0.113.5:5555", t, 9 * kMs));
  Record ext = rec(Role::Client, 10, "web", "10.0.0.2:42000", "198.51.100.7:443", t, 80 * kMs);
  ext.host = "api.stripe.com";
  b.push_back(ext);
  pipe.write(b);

  auto edges = by_pair(st->map(kHour));
  ASSERT_EQ(edges.size(), 4u) << "one edge per (caller, callee)";
  const auto& web_api = edges.at({"web:8000", "api:9000"});
  EXPECT_EQ(web_api.red.requests, 4u) << "both sides seen: counted once";
  EXPECT_EQ(web_api.red.errors, 1u);
  EXPECT_DOUBLE_EQ(web_api.red.error_rate, 0.25);
  EXPECT_EQ(web_api.caller_kind, "process");
  EXPECT_EQ(web_api.callee_kind, "process");
  EXPECT_NEAR(web_api.red.p95_ms, 6.0, 0.1) << "local peers: the client side names the caller";
  EXPECT_NEAR(web_api.red.rate_per_s, 4.0 / 3600, 1e-9);
  // A pure client is named with its pid: two programs of one name are two callers.
  EXPECT_EQ(edges.at({"curl (pid 20)", "web:8000"}).red.requests, 1u);
  const auto& ext_in = edges.at({"external:203.0.113.5", "web:8000"});
  EXPECT_EQ(ext_in.red.requests, 1u);
  EXPECT_EQ(ext_in.caller_kind, "external");
  const auto& ext_out = edges.at({"web:8000", "external:api.stripe.com"});
  EXPECT_EQ(ext_out.callee_kind, "external");
  ASSERT_EQ(ext_out.protocols.size(), 1u);
  EXPECT_EQ(ext_out.protocols[0], Protocol::Http1);

  // Outside the window: nothing.
  EXPECT_TRUE(st->map({kT0 + 3600 * kSec, kT0 + 7200 * kSec}).empty());
}

TEST(ServiceMap, KubernetesWorkloadsAndPods) {
  testing::TempDir dir;
  auto st = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*st);
  uint64_t t = kT0 + 5 * kSec;
  auto pod_side = [](Record r, const std::string& pod, const std::string& wl) {
    r.namespace_ = "shop";
    r.pod = pod;
    r.workload = wl;
    return r;
  };
  std::vector<Record> b;
  for (int i = 0; i < 3; ++i) {
    // api-1 serves web's call (server side names the caller from the peer IP).
    Record s = pod_side(rec(Role::Server, 7, "python3", "10.244.1.10:8000", "10.244.2.20:51000", t,
                            4 * kMs, i == 0 ? 503 : 200),
                        "api-1", "Deployment/api");
    s.remote_namespace = "shop";
    s.remote_pod = "web-1";
    s.remote_workload = "Deployment/web";
    b.push_back(s);
    Record c = pod_side(rec(Role::Client, 8, "curl", "10.244.2.20:51000", "10.96.0.10:80", t,
                            5 * kMs, i == 0 ? 503 : 200),
                        "web-1", "Deployment/web");
    c.remote_namespace = "shop";
    c.remote_service = "api";
    c.remote_workload = "Deployment/api";  // the server named the ClusterIP's workload
    b.push_back(c);
  }
  Record s2 =
      pod_side(rec(Role::Server, 9, "python3", "10.244.1.11:8000", "10.244.2.20:51001", t, 4 * kMs),
               "api-2", "Deployment/api");
  s2.remote_namespace = "shop";
  s2.remote_workload = "Deployment/web";
  b.push_back(s2);
  pipe.write(b);

  auto edges = by_pair(st->map(kHour));
  ASSERT_EQ(edges.size(), 1u);
  const auto& e = edges.at({"shop/Deployment/web", "shop/Deployment/api"});
  EXPECT_EQ(e.red.requests, 4u) << "client sides not counted again";
  EXPECT_EQ(e.red.errors, 1u);
  EXPECT_EQ(e.caller_kind, "workload");
  EXPECT_EQ(e.callee_kind, "workload");
  EXPECT_NEAR(e.red.p95_ms, 4.0, 0.1) << "server-side latency";

  auto wls = st->workloads(kHour);
  ASSERT_EQ(wls.size(), 1u);
  EXPECT_EQ(wls[0].name, "shop/Deployment/api");
  EXPECT_EQ(wls[0].namespace_, "shop");
  EXPECT_EQ(wls[0].workload, "Deployment/api");
  EXPECT_EQ(wls[0].red.requests, 4u);

  auto pods = st->pods(std::string("shop/Deployment/api"), kHour);
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].pod, "api-1");
  EXPECT_EQ(pods[0].red.requests, 3u);
  EXPECT_EQ(pods[0].red.errors, 1u);
  EXPECT_EQ(pods[1].pod, "api-2");
  EXPECT_EQ(pods[1].namespace_, "shop");
  EXPECT_TRUE(st->pods(std::string("shop/Deployment/nope"), kHour).empty());

  // The workload is the service both sides name.
  auto svcs = st->services(kHour);
  bool found = false;
  for (const auto& s : svcs)
    if (s.name == "shop/Deployment/api") {
      found = true;
      EXPECT_EQ(s.kind, "workload");
      EXPECT_EQ(s.red.requests, 4u);
    }
  EXPECT_TRUE(found);
}

TEST(ServiceMap, RollupsSurviveRestartAndRetention) {
  testing::TempDir dir;
  {
    auto st = open_sqlite_store(dir.path(), {.retention_ns = 3600 * kSec});
    pipeline::RecordPipeline pipe(*st);
    pipe.write({rec(Role::Server, 1, "a", "127.0.0.1:1", "192.0.2.1:2", kT0, kMs)});
  }
  auto st = open_sqlite_store(dir.path(), {.retention_ns = 3600 * kSec});
  pipeline::RecordPipeline pipe(*st);
  EXPECT_EQ(st->map(kHour).size(), 1u);
  st->enforce_retention(kT0 + 7200 * kSec);
  EXPECT_TRUE(st->map(kHour).empty());
}

TEST(K8sTables, HistoryAndEventsDeduplicated) {
  testing::TempDir dir;
  auto st = open_sqlite_store(dir.path());
  EXPECT_FALSE(st->k8s_history());
  ClusterEvent oom;
  oom.time_ns = kT0;
  oom.namespace_ = "shop";
  oom.kind = "Pod";
  oom.name = "db-0";
  oom.container = "postgres";
  oom.reason = "OOMKilled";
  oom.type = "Warning";
  st->write_k8s({kT0, "c", R"({"pods":[]})", {}, {oom}});
  st->write_k8s({kT0 + 1, "c", "", {R"({"seq":1})", R"({"seq":2})"}, {oom}});  // resent
  st->write_k8s({kT0 + 2, "c", R"({"pods":[1]})", {R"({"seq":3})"}, {}});
  auto h = st->k8s_history();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->snapshot, R"({"pods":[1]})");
  EXPECT_EQ(h->changes, std::vector<std::string>{R"({"seq":3})"});

  EventQuery q;
  q.range = kHour;
  auto ev = st->events(q);
  ASSERT_EQ(ev.size(), 1u) << "the same condition twice is one event";
  EXPECT_EQ(ev[0].reason, "OOMKilled");
  EXPECT_EQ(ev[0].container, "postgres");
  q.reason = "Evicted";
  EXPECT_TRUE(st->events(q).empty());
  q.reason = "OOMKilled";
  q.namespace_ = "shop";
  q.object = "db-0";
  q.type = "Warning";
  EXPECT_EQ(st->events(q).size(), 1u);

  // Reopened: the history is still there.
  st.reset();
  st = open_sqlite_store(dir.path());
  EXPECT_EQ(st->k8s_history()->changes.size(), 1u);
}

}  // namespace
}  // namespace loupe::store
