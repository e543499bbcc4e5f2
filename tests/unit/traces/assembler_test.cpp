#include "traces/assembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/span_id.h"
#include "traces/endpoint_calls.h"

namespace loupe::traces {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t T0 = 1'700'000'000'000'000'000;

Record rec(Role role, uint32_t pid, uint32_t tid, uint64_t start_ms, uint64_t end_ms,
           std::string local, std::string remote, std::string path) {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = pid;
  r.tid = tid;
  r.start_ns = T0 + start_ms * kMs;
  r.end_ns = T0 + end_ms * kMs;
  r.local_addr = std::move(local);
  r.remote_addr = std::move(remote);
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

// The store's requests() over a vector: every filter the assembler uses.
TraceAssembler over(std::vector<Record>& records) {
  return TraceAssembler([&records](const store::RequestQuery& q) {
    std::vector<store::StoredRequest> out;
    for (const Record& r : records) {
      if (r.start_ns < q.range.from_ns || r.start_ns >= q.range.to_ns) continue;
      if (q.role && r.role != *q.role) continue;
      if (q.pid && r.pid != *q.pid) continue;
      if (q.tid && r.tid != *q.tid) continue;
      if (r.duration_ns() < q.min_duration_ns) continue;
      if (q.local_addr && r.local_addr != *q.local_addr) continue;
      if (q.remote_addr && r.remote_addr != *q.remote_addr) continue;
      if (q.trace_id && r.trace_id != *q.trace_id) continue;
      if (q.service && r.comm != *q.service) continue;
      out.push_back({0, r, r.comm, "", true});
    }
    std::reverse(out.begin(), out.end());  // newest first, as the store
    return out;
  });
}

std::map<std::string, const TraceSpan*> by_path(const Trace& t) {
  std::map<std::string, const TraceSpan*> out;
  for (const auto& s : t.spans)
    out[s.request.record.path + "@" + std::string(to_string(s.request.record.role))] = &s;
  return out;
}

// curl -> web (pid 10, thread 11) -> api (pid 20, thread 21) -> db; two
// requests on the web side, each with its own thread.
std::vector<Record> two_chains() {
  return {
      rec(Role::Client, 1, 1, 0, 100, "127.0.0.1:40000", "127.0.0.1:8000", "/order/1"),
      rec(Role::Server, 10, 11, 1, 99, "127.0.0.1:8000", "127.0.0.1:40000", "/order/1"),
      rec(Role::Client, 10, 11, 10, 90, "127.0.0.1:41000", "127.0.0.1:9000", "/item/1"),
      rec(Role::Server, 20, 21, 11, 89, "127.0.0.1:9000", "127.0.0.1:41000", "/item/1"),
      rec(Role::Client, 20, 21, 20, 30, "127.0.0.1:42000", "127.0.0.1:5432", "q1"),
      rec(Role::Server, 30, 31, 21, 29, "127.0.0.1:5432", "127.0.0.1:42000", "q1"),
      // A second request at the same time on other threads and connections.
      rec(Role::Client, 2, 2, 5, 105, "127.0.0.1:40001", "127.0.0.1:8000", "/order/2"),
      rec(Role::Server, 10, 12, 6, 104, "127.0.0.1:8000", "127.0.0.1:40001", "/order/2"),
      rec(Role::Client, 10, 12, 15, 95, "127.0.0.1:41001", "127.0.0.1:9000", "/item/2"),
      rec(Role::Server, 20, 22, 16, 94, "127.0.0.1:9000", "127.0.0.1:41001", "/item/2"),
  };
}

TEST(Traces, LinksThreadsAndConnectionsIntoOneTreePerRequest) {
  auto records = two_chains();
  auto traces = over(records);
  // Asked by the reference of the API's server record: the whole trace.
  auto t = traces.trace(TraceAssembler::reference(records[3]), {});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->spans.size(), 6u);
  auto s = by_path(*t);
  EXPECT_EQ(t->trace_id, TraceAssembler::reference(records[0]));  // the root's
  EXPECT_EQ(s["/order/1@client"]->parent_span_id, 0u);
  EXPECT_EQ(s["/order/1@server"]->parent_span_id, s["/order/1@client"]->span_id);
  EXPECT_EQ(s["/order/1@server"]->link, "connection");
  EXPECT_EQ(s["/item/1@client"]->parent_span_id, s["/order/1@server"]->span_id);
  EXPECT_EQ(s["/item/1@client"]->link, "thread");
  EXPECT_EQ(s["/item/1@server"]->parent_span_id, s["/item/1@client"]->span_id);
  EXPECT_EQ(s["q1@client"]->parent_span_id, s["/item/1@server"]->span_id);
  EXPECT_EQ(s["q1@server"]->parent_span_id, s["q1@client"]->span_id);
  for (const auto& span : t->spans) EXPECT_FALSE(span.ambiguous);
}

TEST(Traces, TraceparentIdOfTheRootWins) {
  auto records = two_chains();
  records[0].trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  records[3].trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto traces = over(records);
  auto t = traces.trace(TraceAssembler::reference(records[5]), {});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  auto by_w3c = traces.trace("4bf92f3577b34da6a3ce929d0e0e4736", {T0, T0 + 1000 * kMs});
  ASSERT_TRUE(by_w3c);
  EXPECT_EQ(by_w3c->spans.size(), 6u);
}

TEST(Traces, OneThreadServingOverlappingRequestsIsAmbiguous) {
  // An event loop: one thread serves both requests; the call sits inside both.
  std::vector<Record> records = {
      rec(Role::Server, 10, 11, 0, 100, "127.0.0.1:8000", "127.0.0.1:40000", "/a"),
      rec(Role::Server, 10, 11, 5, 60, "127.0.0.1:8000", "127.0.0.1:40001", "/b"),
      rec(Role::Client, 10, 11, 10, 20, "127.0.0.1:41000", "127.0.0.1:9000", "/call"),
  };
  auto traces = over(records);
  auto t = traces.trace(TraceAssembler::reference(records[2]), {});
  ASSERT_TRUE(t);
  auto s = by_path(*t);
  ASSERT_TRUE(s.count("/b@server"));  // the innermost request holding the call
  EXPECT_EQ(s["/call@client"]->parent_span_id, s["/b@server"]->span_id);
  EXPECT_TRUE(s["/call@client"]->ambiguous);
  EXPECT_FALSE(s.count("/a@server"));
}

TEST(Traces, FindsTracesByServiceAndDuration) {
  auto records = two_chains();
  for (auto& r : records) r.comm = r.pid == 20 ? "api" : "other";
  auto traces = over(records);
  auto found = traces.find(std::string("api"), 70 * kMs, {T0, T0 + 1000 * kMs}, 10);
  ASSERT_EQ(found.size(), 2u);
  for (const auto& f : found) EXPECT_EQ(f.root.request.record.role, Role::Client);
  EXPECT_NE(found[0].trace_id, found[1].trace_id);
  EXPECT_TRUE(traces.find(std::string("api"), 80 * kMs, {T0, T0 + 1000 * kMs}, 10).empty());
}

TEST(Traces, KeepAliveExchangesPairDespiteWakeupOrder) {
  // One connection, three exchanges back to back. On one node the server's
  // read can return before the client's write does (the reader was woken
  // first), so sides do not nest exactly; each still pairs with its own.
  constexpr uint64_t kUs = 1000;
  auto at = [](Record r, uint64_t start_us, uint64_t end_us) {
    r.start_ns = T0 + start_us * kUs;
    r.end_ns = T0 + end_us * kUs;
    return r;
  };
  Record client = rec(Role::Client, 1, 1, 0, 0, "127.0.0.1:40000", "127.0.0.1:6379", "k");
  Record server = rec(Role::Server, 2, 2, 0, 0, "127.0.0.1:6379", "127.0.0.1:40000", "k");
  std::vector<Record> records = {
      at(client, 0, 100),   at(server, 20, 80),    // nested
      at(client, 130, 200), at(server, 125, 190),  // server read returned first
      at(client, 230, 300), at(server, 240, 305),  // client read returned first
  };
  auto traces = over(records);
  for (size_t i = 0; i < records.size(); i += 2) {
    auto t = traces.trace(TraceAssembler::reference(records[i + 1]), {});
    ASSERT_TRUE(t);
    ASSERT_EQ(t->spans.size(), 2u) << "exchange " << i / 2;
    EXPECT_EQ(t->trace_id, TraceAssembler::reference(records[i])) << "exchange " << i / 2;
    auto s = by_path(*t);
    EXPECT_EQ(s["k@server"]->parent_span_id, s["k@client"]->span_id);
    EXPECT_FALSE(s["k@server"]->ambiguous) << "exchange " << i / 2;
  }
}

TEST(Traces, UnknownIdsFindNothing) {
  auto records = two_chains();
  auto traces = over(records);
  EXPECT_FALSE(traces.trace("0123456789abcdef0123456789abcdef", {T0, T0 + 1000 * kMs}));
  EXPECT_FALSE(traces.trace("nothex", {}));
}

}  // namespace
}  // namespace loupe::traces

namespace loupe::traces {
namespace {

// two_chains() as the store names it: a client record's service is its
// callee (the process listening on its remote port), its caller the
// calling process; a server record's service is its own process.
TraceAssembler named(std::vector<Record>& records) {
  static const std::map<uint32_t, std::string> kProcess = {
      {1, "curl"}, {2, "curl"}, {10, "web"}, {20, "api"}, {30, "db"}};
  static const std::map<std::string, std::string> kListener = {
      {"8000", "web"}, {"9000", "api"}, {"5432", "db"}};
  return TraceAssembler([&records](const store::RequestQuery& q) {
    std::vector<store::StoredRequest> out;
    for (const Record& r : records) {
      if (r.start_ns < q.range.from_ns || r.start_ns >= q.range.to_ns) continue;
      if ((q.role && r.role != *q.role) || (q.pid && r.pid != *q.pid) ||
          (q.tid && r.tid != *q.tid) || (q.local_addr && r.local_addr != *q.local_addr) ||
          (q.remote_addr && r.remote_addr != *q.remote_addr) || q.trace_id)
        continue;
      std::string own = kProcess.at(r.pid);
      if (r.role == Role::Server) {
        out.push_back({0, r, own, "", true});
        continue;
      }
      std::string port = r.remote_addr.substr(r.remote_addr.rfind(':') + 1);
      out.push_back({0, r, kListener.at(port), own, true});
    }
    std::reverse(out.begin(), out.end());
    return out;
  });
}

std::map<std::string, uint64_t> calls_of(const EndpointCalls& c) {
  std::map<std::string, uint64_t> out;
  for (const CallEdge& e : c.edges) out[e.caller + ">" + e.callee] = e.calls;
  return out;
}

TEST(EndpointCalls, AnEndpointsMapHoldsTheCallThatReachedItAndTheCallsBelowIt) {
  auto records = two_chains();
  auto assembler = named(records);
  store::TimeRange all{T0, T0 + 1000 * kMs};
  // api's /item/1: web called it, it called db; /item/2 and curl -> web are
  // not on its behalf.
  store::StoredRequest item1{0, records[3], "api", "", true};
  auto one = endpoint_calls(assembler, {item1}, all);
  EXPECT_EQ(one.sampled, 1u);
  EXPECT_EQ(calls_of(one), (std::map<std::string, uint64_t>{{"web>api", 1}, {"api>db", 1}}));
  // web's /order/{id} twice: two calls from curl, two to api, one to db.
  store::StoredRequest order1{0, records[1], "web", "", true};
  store::StoredRequest order2{0, records[7], "web", "", true};
  auto both = endpoint_calls(assembler, {order1, order2}, all);
  EXPECT_EQ(both.sampled, 2u);
  EXPECT_EQ(calls_of(both),
            (std::map<std::string, uint64_t>{{"curl>web", 2}, {"web>api", 2}, {"api>db", 1}}));
  EXPECT_EQ(both.edges.front().calls, 2u);  // busiest first
  EXPECT_EQ(both.edges.back().callee, "db");
  EXPECT_EQ(both.edges.back().durations_ns, (std::vector<uint64_t>{10 * kMs}));
}

}  // namespace
}  // namespace loupe::traces
