// The resolve stage on its own: records in, resolved rows out, no store.
#include "pipeline/resolver.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace loupe::pipeline {
namespace {

Record served(uint32_t pid, const std::string& comm, const std::string& local,
              const std::string& remote, const std::string& route = "/x") {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = pid;
  r.comm = comm;
  r.local_addr = local;
  r.remote_addr = remote;
  r.method = "GET";
  r.route = route;
  return r;
}

Record called(uint32_t pid, const std::string& comm, const std::string& local,
              const std::string& remote, const std::string& route = "/x") {
  Record r = served(pid, comm, local, remote, route);
  r.role = Role::Client;
  return r;
}

// The row of each record, by the record's position in the batch.
std::map<uint32_t, const store::ResolvedRecord*> by_index(const store::ResolvedBatch& b) {
  std::map<uint32_t, const store::ResolvedRecord*> out;
  for (const auto& row : b.rows) out[row.index] = &row;
  return out;
}

// A batch kept across writes (RecordPipeline reuses its rows' memory) gets
// the next batch's rows and new services only, none of the last one's.
TEST(Resolver, ABatchResolvedIntoAgainHoldsOnlyTheNewRows) {
  Resolver resolver;
  std::vector<Record> first = {served(10, "web", "127.0.0.1:8000", "127.0.0.1:41000"),
                               served(11, "api", "127.0.0.1:9000", "127.0.0.1:41001")};
  std::vector<Record> second = {called(20, "curl", "127.0.0.1:41002", "127.0.0.1:8000")};
  store::ResolvedBatch kept;
  resolver.resolve(first, kept);
  ASSERT_EQ(kept.rows.size(), 2u);
  EXPECT_EQ(kept.new_services.size(), 2u);
  resolver.resolve(second, kept);
  ASSERT_EQ(kept.rows.size(), 1u);
  EXPECT_EQ(&kept.records[0], second.data());
  EXPECT_EQ(kept.rows[0].index, 0u);
  EXPECT_EQ(kept.rows[0].service->name, "web:8000");
  EXPECT_FALSE(kept.rows[0].service->counted);
  EXPECT_TRUE(kept.new_services.empty()) << "web:8000 was registered by the first batch";
}

TEST(Resolver, ServerSideFirstSoALocalCallIsCountedOnce) {
  Resolver resolver;
  // The client copy comes first in the batch; its server side is in it too.
  std::vector<Record> records = {
      called(20, "curl", "127.0.0.1:41000", "127.0.0.1:8000"),
      served(10, "web", "127.0.0.1:8000", "127.0.0.1:41000"),
  };
  store::ResolvedBatch b = resolver.resolve(records);
  ASSERT_EQ(b.rows.size(), 2u);
  EXPECT_EQ(b.rows[0].index, 1u) << "server records are resolved first";
  auto rows = by_index(b);
  const auto& server = *rows[1];
  const auto& client = *rows[0];
  EXPECT_EQ(server.service->name, "web:8000");
  EXPECT_EQ(server.service->kind, "process");
  EXPECT_TRUE(server.service->counted);
  EXPECT_EQ(client.service->name, "web:8000") << "a client record names its callee";
  EXPECT_FALSE(client.service->counted) << "the server side counted it";
  // The edge is drawn once, from the client side, which knows the process.
  EXPECT_EQ(client.caller->name, "curl (pid 20)");
  EXPECT_EQ(client.caller->stable_name, "curl");
  EXPECT_TRUE(client.caller->counted);
  EXPECT_EQ(server.caller->name, "curl (pid 20)") << "learnt from the client record";
  EXPECT_FALSE(server.caller->counted);
  // Only the server is new; its IP is learnt as local.
  ASSERT_EQ(b.new_services.size(), 1u);
  EXPECT_EQ(b.new_services[0].name, "web:8000");
  EXPECT_EQ(b.new_services[0].port, 8000);
  EXPECT_EQ(b.new_services[0].ip, "127.0.0.1");
}

TEST(Resolver, LaterBatchesUseWhatEarlierOnesTaught) {
  Resolver resolver;
  std::vector<Record> first = {served(30, "api", "10.0.0.5:9000", "203.0.113.9:5000")};
  auto b1 = resolver.resolve(first);
  ASSERT_EQ(b1.rows.size(), 1u);
  EXPECT_EQ(b1.rows[0].caller->name, "external:203.0.113.9");
  EXPECT_TRUE(b1.rows[0].caller->counted) << "only the server side sees an external client";
  // The api process calls itself by its node IP: local, not counted again;
  // the caller is the api service, because pid 30 serves.
  std::vector<Record> second = {called(30, "api", "10.0.0.5:42000", "10.0.0.5:9000")};
  auto b2 = resolver.resolve(second);
  ASSERT_EQ(b2.rows.size(), 1u);
  EXPECT_EQ(b2.rows[0].service->name, "api:9000");
  EXPECT_FALSE(b2.rows[0].service->counted);
  EXPECT_EQ(b2.rows[0].caller->name, "api:9000");
  EXPECT_TRUE(b2.new_services.empty());
}

TEST(Resolver, ExternalCalleesAreNamedByHostAndCounted) {
  Resolver resolver;
  Record stripe = called(10, "web", "10.0.0.2:42000", "198.51.100.7:443");
  stripe.host = "api.stripe.com";
  Record db = called(10, "web", "10.0.0.2:42001", "198.51.100.8:5432");
  db.protocol = Protocol::Postgres;
  db.host = "orders";  // a database name, not a host
  std::vector<Record> records = {stripe, db};
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[0]->service->name, "external:api.stripe.com");
  EXPECT_EQ(rows[0]->service->kind, "external");
  EXPECT_TRUE(rows[0]->service->counted);
  EXPECT_TRUE(rows[0]->caller->counted);
  EXPECT_EQ(rows[1]->service->name, "external:198.51.100.8:5432");
  ASSERT_EQ(b.new_services.size(), 2u);
  EXPECT_EQ(b.new_services[0].ip, "") << "external callees are not local servers";
}

TEST(Resolver, KubernetesWorkloadsAndTheirPods) {
  Resolver resolver;
  Record client = called(10, "web", "10.1.0.4:40000", "10.1.0.9:8080");
  edit(client.local_identity).namespace_ = "shop";
  edit(client.local_identity).workload = "Deployment/web";
  edit(client.remote_identity).namespace_ = "shop";
  edit(client.remote_identity).workload = "Deployment/api";
  edit(client.remote_identity).pod = "api-1";
  // Only the client side seen: it is the one view of what api served.
  std::vector<Record> alone = {client};
  auto b1 = resolver.resolve(alone);
  ASSERT_EQ(b1.rows.size(), 1u);
  EXPECT_EQ(b1.rows[0].service->name, "shop/Deployment/api");
  EXPECT_EQ(b1.rows[0].service->kind, "workload");
  EXPECT_TRUE(b1.rows[0].service->counted);
  EXPECT_TRUE(b1.rows[0].workload_served);
  EXPECT_EQ(b1.rows[0].pod, "api-1");
  EXPECT_EQ(b1.rows[0].caller->name, "shop/Deployment/web");
  EXPECT_EQ(b1.rows[0].caller->kind, "workload");

  // Once api's server side is seen, it counts and draws the edge (its
  // enrichment named the client's workload); the client copy does neither.
  Record server = served(30, "api", "10.1.0.9:8080", "10.1.0.4:40000");
  edit(server.local_identity).namespace_ = "shop";
  edit(server.local_identity).workload = "Deployment/api";
  edit(server.local_identity).pod = "api-1";
  edit(server.remote_identity).namespace_ = "shop";
  edit(server.remote_identity).workload = "Deployment/web";
  std::vector<Record> both = {client, server};
  auto b2 = resolver.resolve(both);
  auto rows = by_index(b2);
  EXPECT_TRUE(rows[1]->workload_served);
  EXPECT_EQ(rows[1]->pod, "api-1");
  EXPECT_TRUE(rows[1]->caller->counted);
  EXPECT_EQ(rows[1]->caller->name, "shop/Deployment/web");
  EXPECT_FALSE(rows[0]->service->counted);
  EXPECT_FALSE(rows[0]->workload_served);
  EXPECT_FALSE(rows[0]->caller->counted);
}

TEST(Resolver, CapsFoldRoutesAndServicesIntoOther) {
  Resolver resolver({.max_routes_per_service = 2, .max_services_per_host = 1});
  std::vector<Record> records = {
      served(1, "api", "10.0.0.1:80", "203.0.113.1:1", "/a"),
      served(1, "api", "10.0.0.1:80", "203.0.113.1:1", "/b"),
      served(1, "api", "10.0.0.1:80", "203.0.113.1:1", "/c"),
      served(2, "db", "10.0.0.1:5432", "203.0.113.1:2"),
  };
  records.push_back(called(1, "api", "10.0.0.1:40000", "198.51.100.1:443"));
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[0]->route, "/a");
  EXPECT_EQ(rows[1]->route, "/b");
  EXPECT_EQ(rows[2]->route, store::kOtherName);
  EXPECT_EQ(rows[3]->service->name, "{other}") << "one service per host";
  EXPECT_EQ(rows[4]->service->name, "external:{other}");
}

TEST(Resolver, SeedRestoresServersAndRoutesFromTheStore) {
  Resolver resolver({.max_routes_per_service = 1});
  store::ResolverSeed seed;
  seed.services.push_back({"api:9000", "process", 9000, "10.0.0.5"});
  seed.routes.emplace_back("api:9000", "/old");
  resolver.seed(seed);
  std::vector<Record> records = {
      called(7, "web", "10.0.0.5:40000", "10.0.0.5:9000"),
      served(30, "api", "10.0.0.5:9000", "10.0.0.5:40000", "/new"),
  };
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[0]->service->name, "api:9000");
  EXPECT_FALSE(rows[0]->service->counted) << "a known local server";
  EXPECT_EQ(rows[1]->route, store::kOtherName) << "the cap is full with the stored route";
  EXPECT_TRUE(b.new_services.empty()) << "nothing new to register";
}

TEST(Resolver, CallsToLoupesOwnPortAreServiceLoupe) {
  Resolver resolver({.self_port = 8080});
  std::vector<Record> records = {called(5, "chromium", "127.0.0.1:50000", "127.0.0.1:8080")};
  auto b = resolver.resolve(records);
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].service->name, store::kSelfService);
  EXPECT_EQ(b.rows[0].service->kind, "loupe");
}

TEST(Resolver, RowsPointIntoTheRecordsWithoutCopyingThem) {
  Resolver resolver;
  Record r = served(1, "api", "10.0.0.1:80", "203.0.113.1:1",
                    "/a/route/long/enough/to/live/on/the/heap/{id}");
  edit(r.local_identity).pod = "a-pod-name-long-enough-to-live-on-the-heap";
  edit(r.local_identity).workload = "Deployment/api";
  std::vector<Record> records = {r};
  auto b = resolver.resolve(records);
  EXPECT_EQ(&b.records[0], records.data());
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].route.data(), records[0].route.data());
  EXPECT_EQ(b.rows[0].pod.data(), records[0].pod().data());
}

// An ingest round hands the resolver several vectors at once: it must name
// them as it names the same records in one vector (a local call's client
// side in one run, its server side in the next, still counted once), with
// indexes that find each record in the runs.
TEST(Resolver, RecordsInSeveralRunsResolveAsInOneVector) {
  std::vector<Record> first = {called(7, "curl", "127.0.0.1:40000", "127.0.0.1:8000", "/c"),
                               served(3, "nginx", "10.0.0.1:80", "203.0.113.9:5000", "/n")};
  std::vector<Record> empty;
  std::vector<Record> second = {served(5, "api", "127.0.0.1:8000", "127.0.0.1:40000", "/s")};
  std::vector<Record> whole = first;
  whole.insert(whole.end(), second.begin(), second.end());

  store::BatchRecords runs;
  runs.append(first);
  runs.append(empty);
  runs.append(second);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs.runs().size(), 2u) << "an empty run is skipped";
  EXPECT_EQ(&runs[0], &first[0]);
  EXPECT_EQ(&runs[1], &first[1]);
  EXPECT_EQ(&runs[2], &second[0]);

  auto in_runs = Resolver().resolve(runs);
  auto in_one = Resolver().resolve(whole);
  ASSERT_EQ(in_runs.rows.size(), in_one.rows.size());
  for (size_t i = 0; i < in_one.rows.size(); ++i) {
    const auto& a = in_runs.rows[i];
    const auto& b = in_one.rows[i];
    EXPECT_EQ(a.index, b.index) << "row " << i << ": the same order, server side first";
    EXPECT_EQ(a.service->name, b.service->name);
    EXPECT_EQ(a.service->counted, b.service->counted);
    EXPECT_EQ(a.caller->name, b.caller->name);
    EXPECT_EQ(a.caller->counted, b.caller->counted);
    EXPECT_EQ(a.route, b.route);
    EXPECT_EQ(in_runs.records[a.index].route, whole[a.index].route);
  }
  auto rows = by_index(in_runs);
  EXPECT_EQ(rows[0]->service->name, "api:8000") << "the callee of curl, served in the next run";
  EXPECT_FALSE(rows[0]->service->counted) << "its server side counts, not both";
  EXPECT_EQ(rows[2]->caller->name, "curl (pid 7)") << "learnt from the client in the first run";
}

// A connection's later records in a batch reuse its first one's answer
// (pipeline/connection_answers.h); these are the cases where that answer
// must not be reused as it was.

// A process serving two ports relearns its service with every server
// record of either, and its calls are named by the last one seen.
TEST(Resolver, ACallerServingTwoPortsIsNamedByItsLastServedPort) {
  Resolver resolver;
  std::vector<Record> records = {
      called(7, "proxy", "127.0.0.1:40000", "127.0.0.1:9000"),
      served(7, "proxy", "127.0.0.1:80", "203.0.113.1:1"),
      served(8, "api", "127.0.0.1:9000", "127.0.0.1:40000"),
      served(7, "proxy", "127.0.0.1:81", "203.0.113.1:2"),
      served(8, "api", "127.0.0.1:9000", "127.0.0.1:40000"),
      served(7, "proxy", "127.0.0.1:80", "203.0.113.1:1"),
      served(8, "api", "127.0.0.1:9000", "127.0.0.1:40000"),
  };
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[2]->caller->name, "proxy:80");
  EXPECT_EQ(rows[4]->caller->name, "proxy:81") << "the same connection, named again";
  EXPECT_EQ(rows[6]->caller->name, "proxy:80");
  EXPECT_EQ(rows[0]->caller->name, "proxy:80") << "client records come after every server's";
}

// Requests on one connection to a proxy may name different hosts.
TEST(Resolver, RequestsOfOneConnectionToDifferentHostsAreDifferentCallees) {
  Resolver resolver;
  std::vector<Record> records;
  for (const char* host : {"a.example", "b.example", "a.example"}) {
    records.push_back(called(10, "web", "10.0.0.2:42000", "198.51.100.7:3128"));
    records.back().host = host;
  }
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[0]->service->name, "external:a.example");
  EXPECT_EQ(rows[1]->service->name, "external:b.example");
  EXPECT_EQ(rows[2]->service->name, "external:a.example");
  EXPECT_EQ(b.new_services.size(), 2u);
}

// Rows share a label set (ResolvedRecord::labels) exactly when they have
// the same service, caller, route, method, side, status class, error and
// error code, whichever connection they come from and however a
// connection's labels change from one record to the next.
TEST(Resolver, RowsShareALabelSetWhenTheirLabelsAreTheSame) {
  Resolver resolver;
  std::vector<Record> records;
  for (int i = 0; i < 60; ++i) {
    std::string port = std::to_string(41000 + i % 3);  // three connections taking turns
    Record r = i % 2 ? served(20, "api", "127.0.0.1:8000", "127.0.0.1:" + port, "/a")
                     : called(10, "web", "127.0.0.1:" + port, "127.0.0.1:8000", "/a");
    if (i % 5 == 0) r.route = "/b";
    if (i % 7 == 0) r.method = "POST";
    r.status = i % 4 == 0 ? 404 : i % 4 == 1 ? 201 : 200;
    r.error = i % 9 == 0;
    if (r.error) r.error_code = i % 2 ? "E1" : "E2";
    records.push_back(r);
  }
  auto b = resolver.resolve(records);
  auto labels_of = [](const store::ResolvedRecord& row, const Record& r) {
    return row.service->name + "|" + row.service->kind + "|" + row.caller->name + "|" +
           std::string(row.route) + "|" + r.method + "|" + std::to_string(r.status / 100) + "|" +
           std::to_string(static_cast<int>(r.role)) + "|" + std::to_string(r.error) + "|" +
           (r.error ? r.error_code : "");
  };
  std::map<uint32_t, std::string> set_labels;
  std::map<std::string, uint32_t> label_set;
  for (const auto& row : b.rows) {
    ASSERT_GE(row.labels, 1u);
    ASSERT_LE(row.labels, b.label_sets);
    std::string labels = labels_of(row, records[row.index]);
    auto [s, new_set] = set_labels.try_emplace(row.labels, labels);
    EXPECT_EQ(s->second, labels) << "row " << row.index << " in set " << row.labels;
    auto [l, new_labels] = label_set.try_emplace(labels, row.labels);
    EXPECT_EQ(l->second, row.labels) << "row " << row.index << ": " << labels;
  }
  EXPECT_EQ(set_labels.size(), b.label_sets);
  EXPECT_GT(b.label_sets, 8u);
  // The next batch starts again from 1.
  auto again = resolver.resolve(std::vector<Record>{records[1]});
  EXPECT_EQ(again.rows[0].labels, 1u);
  EXPECT_EQ(again.label_sets, 1u);
}

// A server learnt in the batch makes its IP local: a connection from that
// IP named external before is named from the client side after.
TEST(Resolver, AServerLearntMidBatchRenamesAnEarlierConnectionsCaller) {
  Resolver resolver;
  std::vector<Record> records = {
      served(1, "api", "10.0.0.1:80", "10.0.0.2:5000"),
      served(2, "db", "10.0.0.2:5432", "203.0.113.1:1"),
      served(1, "api", "10.0.0.1:80", "10.0.0.2:5000"),
  };
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[0]->caller->name, "external:10.0.0.2");
  EXPECT_TRUE(rows[0]->caller->counted);
  EXPECT_EQ(rows[2]->caller->name, "") << "10.0.0.2 is local now; no client record names it";
  EXPECT_FALSE(rows[2]->caller->counted);
}

// Past the services-per-host cap every record of a folded connection is
// "{other}" and registered again (the store keeps the first), as when each
// record was named on its own.
TEST(Resolver, EveryRecordOfAFoldedConnectionIsOther) {
  Resolver resolver({.max_services_per_host = 1});
  std::vector<Record> records = {
      served(1, "api", "10.0.0.1:80", "203.0.113.1:1"),
      served(2, "db", "10.0.0.1:5432", "203.0.113.1:2"),
      served(2, "db", "10.0.0.1:5432", "203.0.113.1:2"),
  };
  auto b = resolver.resolve(records);
  auto rows = by_index(b);
  EXPECT_EQ(rows[1]->service->name, "{other}");
  EXPECT_EQ(rows[2]->service->name, "{other}");
  ASSERT_EQ(b.new_services.size(), 3u);
  EXPECT_EQ(b.new_services[2].name, "{other}");
}

}  // namespace
}  // namespace loupe::pipeline
