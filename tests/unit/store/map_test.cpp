// The service map's and Kubernetes tables' SQLite-only behaviour (restart,
// retention by minute, k8s history); what every store answers is in
// conformance_rollups_test.cpp.
#include <gtest/gtest.h>

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
