// Conformance: raw requests (newest, slowest, filters), counts, one request
// by id, batch keys, and what survives a restart.
#include <algorithm>

#include "conformance.h"

namespace loupe::store::testing {
namespace {

class RequestConformance : public StoreConformance {
 protected:
  // 20 server exchanges of api:8000 one second apart, the 5th failing, the
  // 8th with text and Kubernetes fields worth checking, plus the client side
  // of the 3rd (a local call: stored, not counted).
  std::vector<Record> fixture() {
    std::vector<Record> b;
    for (uint64_t i = 0; i < 20; ++i) {
      Record r = served(kT0 + i * kSec, (10 + (i * 7) % 20) * kMs,
                        i % 2 ? "/users/{id}" : "/health", i == 4 ? 500 : 200);
      r.path = i % 2 ? "/users/" + std::to_string(i) : "/health";
      r.req_bytes = 100 + i;
      r.resp_bytes = 1000 + i;
      b.push_back(r);
    }
    Record& odd = b[7];
    odd.host = "Shop.Example";
    odd.detail = "tab\there, newline\nthere, back\\slash, quote' and \x01 byte";
    odd.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    odd.error_code = "E42";
    odd.error_message = "ünïcode message";
    odd.tls = true;
    edit(odd.local_identity).node = "node-1";
    edit(odd.local_identity).namespace_ = "shop";
    edit(odd.local_identity).pod = "api-7f";
    edit(odd.local_identity).container = "api";
    edit(odd.local_identity).workload = "Deployment/api";
    edit(odd.local_identity).service = "api";
    edit(odd.remote_identity).namespace_ = "shop";
    edit(odd.remote_identity).pod = "web-1";
    edit(odd.remote_identity).workload = "Deployment/web";
    edit(odd.remote_identity).service = "web";
    b.push_back(exchange(Role::Client, 77, "worker", "127.0.0.1:50000", "127.0.0.1:8000",
                         kT0 + 2 * kSec, 16 * kMs, "/health"));
    return b;
  }

  RequestQuery all() {
    RequestQuery q;
    q.range = kHour;
    q.limit = 1000;
    return q;
  }
};

TEST_P(RequestConformance, NewestFirstWithEveryFieldKept) {
  std::vector<Record> in = fixture();
  write(in);
  RequestQuery q = all();
  q.limit = 3;
  auto got = store().requests(q);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) expect_same_record(got[i].record, in[19 - i]);
  EXPECT_EQ(got[0].service, "api:8000");
  EXPECT_TRUE(got[0].counted);

  q.limit = 1000;
  auto every = store().requests(q);
  ASSERT_EQ(every.size(), 21u);
  for (size_t i = 1; i < every.size(); ++i)
    EXPECT_GE(every[i - 1].record.start_ns, every[i].record.start_ns);
  auto odd = std::find_if(every.begin(), every.end(), [](const StoredRequest& s) {
    return s.record.start_ns == kT0 + 7 * kSec;
  });
  ASSERT_NE(odd, every.end());
  expect_same_record(odd->record, in[7]);

  // The client side of a local call: kept, not counted, named after its callee.
  auto client = std::find_if(every.begin(), every.end(),
                             [](const StoredRequest& s) { return s.record.role == Role::Client; });
  ASSERT_NE(client, every.end());
  EXPECT_FALSE(client->counted);
  EXPECT_EQ(client->service, "api:8000");
  expect_same_record(client->record, in[20]);
}

TEST_P(RequestConformance, NewestOfALongWindowAcrossItsLastMinutesAndHour) {
  // One request every 20 s for 3 hours; the newest N of the whole window
  // for N the last 5 minutes hold (15), the last hour holds (180) and
  // only the whole window holds, each time exactly the N latest.
  std::vector<Record> in;
  for (uint64_t i = 0; i < 540; ++i) in.push_back(served(kT0 + i * 20 * kSec, kMs, "/tick"));
  write(in);
  RequestQuery q;
  q.range = {kT0, kT0 + 3 * 3600 * kSec};
  for (uint32_t n : {10u, 15u, 16u, 100u, 180u, 181u, 500u}) {
    q.limit = n;
    auto got = store().requests(q);
    ASSERT_EQ(got.size(), n);
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(got[i].record.start_ns, in[539 - i].start_ns) << "n=" << n << " i=" << i;
  }
}

TEST_P(RequestConformance, SlowestOfTheWholeWindow) {
  std::vector<Record> in = fixture();
  write(in);
  RequestQuery q = all();
  q.order = RequestOrder::Slowest;
  q.limit = 4;
  q.counted = true;
  auto got = store().requests(q);
  std::vector<uint64_t> want;
  for (size_t i = 0; i < 20; ++i) want.push_back(in[i].duration_ns());
  std::sort(want.rbegin(), want.rend());
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(got[i].record.duration_ns(), want[i]) << i;
}

TEST_P(RequestConformance, FiltersAndBoundedCounts) {
  std::vector<Record> in = fixture();
  write(in);
  auto count = [this](RequestQuery q, uint64_t at_most = 1'000'000) {
    uint64_t n = store().count_requests(q, at_most);
    q.limit = 1000;
    if (at_most > n) {
      EXPECT_EQ(store().requests(q).size(), n) << "list and count agree";
    }
    return n;
  };
  RequestQuery q = all();
  EXPECT_EQ(count(q), 21u);
  EXPECT_EQ(count(q, 5), 5u) << "bounded";
  q.route = "/users/{id}";
  EXPECT_EQ(count(q), 10u);
  q = all();
  q.service = "api:8000";
  EXPECT_EQ(count(q), 20u) << "the 8th is its workload's";
  q.service = "shop/Deployment/api";
  EXPECT_EQ(count(q), 1u);
  q.service = "nope:1";
  EXPECT_EQ(count(q), 0u);
  q = all();
  q.status = 500;
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.counted = true;
  EXPECT_EQ(count(q), 20u);
  q.counted = false;
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.role = Role::Client;
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.pid = 77;
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.tid = 43;
  EXPECT_EQ(count(q), 20u);
  q = all();
  q.protocol = Protocol::Redis;
  EXPECT_EQ(count(q), 0u);
  q = all();
  q.min_duration_ns = 25 * kMs;
  uint64_t slow = 0;
  for (const Record& r : in) slow += r.duration_ns() >= 25 * kMs;
  EXPECT_EQ(count(q), slow);
  q = all();
  q.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.local_addr = "127.0.0.1:50000";
  EXPECT_EQ(count(q), 1u);
  q = all();
  q.remote_addr = "127.0.0.1:50000";
  EXPECT_EQ(count(q), 20u);
  q = all();
  q.text = "USERS/1";  // /users/1, /users/11 ... /users/19, case-insensitive
  EXPECT_EQ(count(q), 6u);
  q.text = "shop.example";  // the host
  EXPECT_EQ(count(q), 1u);
  q.text = "QUOTE'";  // the detail, with a quote
  EXPECT_EQ(count(q), 1u);
  q.text = "%";
  EXPECT_EQ(count(q), 0u) << "no wildcard";
  q = all();
  q.range = {kT0 + 5 * kSec, kT0 + 10 * kSec};  // half-open
  EXPECT_EQ(count(q), 5u);
}

TEST_P(RequestConformance, OneRequestById) {
  std::vector<Record> in = fixture();
  write(in);
  RequestQuery q = all();
  for (const StoredRequest& listed : store().requests(q)) {
    auto one = store().request(listed.id);
    ASSERT_TRUE(one) << listed.id;
    EXPECT_EQ(one->id, listed.id);
    EXPECT_EQ(one->service, listed.service);
    EXPECT_EQ(one->caller, listed.caller);
    EXPECT_EQ(one->counted, listed.counted);
    expect_same_record(one->record, listed.record);
  }
  EXPECT_FALSE(store().request(0));
  EXPECT_FALSE(store().request(-5));
  EXPECT_FALSE(store().request(123456789));
}

TEST_P(RequestConformance, BatchKeysAndRecordsSurviveARestart) {
  IngestBookkeeping book;
  book.batches = {{"agent-a", 1}, {"agent-b", 9}};
  write(fixture(), &book);
  EXPECT_TRUE(store().has_batch({"agent-a", 1}));
  EXPECT_TRUE(store().has_batch({"agent-b", 9}));
  EXPECT_FALSE(store().has_batch({"agent-a", 2}));
  EXPECT_FALSE(store().has_batch({"agent-c", 1}));
  reopen();
  EXPECT_TRUE(store().has_batch({"agent-a", 1}));
  EXPECT_FALSE(store().has_batch({"agent-a", 2}));
  EXPECT_EQ(store().count_requests(all(), 1000), 21u);
  EXPECT_EQ(store().stats().records_stored, 21u);
  // The resolver starts from what was stored: api:8000 keeps its name and
  // port, and the workload its name.
  auto seed = store().resolver_seed();
  std::sort(seed.services.begin(), seed.services.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  ASSERT_EQ(seed.services.size(), 2u);
  EXPECT_EQ(seed.services[0].name, "api:8000");
  EXPECT_EQ(seed.services[0].port, 8000);
  EXPECT_EQ(seed.services[1].name, "shop/Deployment/api");
  std::sort(seed.routes.begin(), seed.routes.end());
  EXPECT_EQ(seed.routes, (std::vector<std::pair<std::string, std::string>>{
                             {"api:8000", "/health"},
                             {"api:8000", "/users/{id}"},
                             {"shop/Deployment/api", "/users/{id}"}}));
  // Listed even in a window without traffic.
  auto services = store().services({.range = {kT0 + 7200 * kSec, kT0 + 7260 * kSec}});
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].name, "api:8000");
  EXPECT_EQ(services[0].ports, std::vector<uint16_t>{8000});
  EXPECT_EQ(services[0].red.requests, 0u);
}

TEST_P(RequestConformance, LoupesOwnTrafficIsLeftOutUnlessAsked) {
  Record ui = exchange(Role::Client, 5, "chromium", "127.0.0.1:50001", "127.0.0.1:8080", kT0, kMs,
                       "/api/v1/services");
  // A `loupe server` traced by a separate agent: the ingest it serves.
  Record ingest = exchange(Role::Server, 6, "loupe", "127.0.0.1:8080", "127.0.0.1:50002", kT0 + kMs,
                           kMs, "/api/v1/ingest");
  // Another process on the same port (in a pod's network namespace) is the user's.
  Record app = exchange(Role::Server, 7, "api", "10.0.0.5:8080", "10.0.0.9:50003", kT0 + 2 * kMs,
                        kMs, "/users");
  write({ui, ingest, app}, nullptr, {.resolve = {.self_port = 8080}});
  RequestQuery q = all();
  auto shown = store().requests(q);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].service, "api:8080");
  EXPECT_EQ(store().count_requests(q, 100), 1u);
  q.with_self = true;
  EXPECT_EQ(store().requests(q).size(), 3u);
  EXPECT_EQ(store().count_requests(q, 100), 3u);
  q.with_self = false;
  q.service = "loupe";  // named: shown
  auto own = store().requests(q);
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].record.path, "/api/v1/ingest");
  auto services = store().services({.range = q.range});
  auto loupe = std::find_if(services.begin(), services.end(),
                            [](const auto& s) { return s.name == "loupe"; });
  ASSERT_NE(loupe, services.end());
  EXPECT_EQ(loupe->kind, "loupe");
}

TEST_P(RequestConformance, LossesPerMinuteAdd) {
  store().write_losses({{kT0 / kSec, 5, 0}, {kT0 / kSec + 120, 0, 3}});
  store().write_losses({{kT0 / kSec, 2, 1}});
  auto got = store().losses(kHour);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].minute_s, kT0 / kSec);
  EXPECT_EQ(got[0].records, 7u);
  EXPECT_EQ(got[0].events, 1u);
  EXPECT_EQ(got[1].minute_s, kT0 / kSec + 120);
  EXPECT_EQ(got[1].events, 3u);
  EXPECT_TRUE(store().losses({kT0 + 3600 * kSec, kT0 + 7200 * kSec}).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
