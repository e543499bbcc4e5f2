// Conformance: raw requests at scale and at their edges — pages of the
// newest and slowest over thousands of records in several services,
// minutes and batches (late ones included), equal start times, ids that
// stay stable and unique. Each answer is checked against the records written, sorted by hand.
#include <algorithm>
#include <set>

#include "conformance.h"

namespace loupe::store::testing {
namespace {

class RequestPageConformance : public StoreConformance {
 protected:
  // `n` records of api:8000 and worker:9000 over `minutes` minutes from
  // kT0, durations spread, every 7th failing, in three batches: the second
  // holds the oldest records (a late batch), the third repeats start
  // times of the first (ties).
  std::vector<std::vector<Record>> batches(size_t n, uint64_t minutes) {
    std::vector<std::vector<Record>> out(3);
    for (size_t i = 0; i < n; ++i) {
      uint64_t start = kT0 + (i * 7919 % n) * (minutes * 60 * kSec / n);
      Record r =
          i % 3 ? served(start, (1 + i * 37 % 500) * kMs, i % 2 ? "/a" : "/b", i % 7 ? 200 : 503)
                : exchange(Role::Server, 9, "worker", "127.0.0.1:9000", "127.0.0.1:40000", start,
                           (1 + i * 53 % 700) * kMs, "/w");
      r.path = r.route + "?i=" + std::to_string(i);
      size_t b = start < kT0 + minutes * 20 * kSec ? 1 : 0;
      out[b].push_back(r);
      if (i % 11 == 0) out[2].push_back(r);  // the same start again, later
    }
    return out;
  }
  std::vector<Record> write_all(size_t n, uint64_t minutes) {
    std::vector<Record> all;
    for (auto& b : batches(n, minutes)) {
      write(b);
      all.insert(all.end(), b.begin(), b.end());
    }
    return all;
  }
};

// The keys (start or duration) of the `limit` best records of `in` that
// `keep` accepts, best first.
template <typename Keep>
std::vector<uint64_t> expected(const std::vector<Record>& in, bool slowest, size_t limit,
                               Keep keep) {
  std::vector<uint64_t> keys;
  for (const Record& r : in)
    if (keep(r)) keys.push_back(slowest ? r.duration_ns() : r.start_ns);
  std::sort(keys.rbegin(), keys.rend());
  if (keys.size() > limit) keys.resize(limit);
  return keys;
}

std::vector<uint64_t> keys_of(const std::vector<StoredRequest>& got, bool slowest) {
  std::vector<uint64_t> keys;
  for (const StoredRequest& s : got)
    keys.push_back(slowest ? s.record.duration_ns() : s.record.start_ns);
  return keys;
}

TEST_P(RequestPageConformance, NewestAndSlowestPagesOfManyRecordsMatchTheirSort) {
  std::vector<Record> in = write_all(12000, 6);  // > a chunk's 4096 per service-minute
  TimeRange range{kT0 + 90 * kSec + 123, kT0 + 290 * kSec + 7};  // cuts through minutes
  auto in_range = [&range](const Record& r) {
    return r.start_ns >= range.from_ns && r.start_ns < range.to_ns;
  };
  for (bool slowest : {false, true}) {
    for (size_t limit : {1u, 7u, 100u, 3000u, 20000u}) {
      SCOPED_TRACE(std::string(slowest ? "slowest" : "newest") + " limit " + std::to_string(limit));
      RequestQuery q;
      q.range = range;
      q.limit = limit;
      q.order = slowest ? RequestOrder::Slowest : RequestOrder::Newest;
      EXPECT_EQ(keys_of(store().requests(q), slowest), expected(in, slowest, limit, in_range));
      q.service = "api:8000";
      EXPECT_EQ(keys_of(store().requests(q), slowest),
                expected(in, slowest, limit, [&](auto& r) { return in_range(r) && r.pid == 42; }));
      q.service.reset();
      q.status = 503;
      q.text = "/A?";
      EXPECT_EQ(keys_of(store().requests(q), slowest), expected(in, slowest, limit, [&](auto& r) {
                  return in_range(r) && r.status == 503 && r.route == "/a";
                }));
      q.status.reset();
      q.text.clear();
      q.min_duration_ns = 300 * kMs;
      EXPECT_EQ(keys_of(store().requests(q), slowest), expected(in, slowest, limit, [&](auto& r) {
                  return in_range(r) && r.duration_ns() >= 300 * kMs;
                }));
    }
  }
  RequestQuery q;
  q.range = range;
  EXPECT_EQ(store().count_requests(q, 1u << 30),
            static_cast<uint64_t>(std::count_if(in.begin(), in.end(), in_range)));
  q.route = "/w";
  EXPECT_EQ(store().count_requests(q, 1u << 30),
            static_cast<uint64_t>(std::count_if(in.begin(), in.end(), [&](const Record& r) {
              return in_range(r) && r.route == "/w";
            })));
  EXPECT_EQ(store().count_requests(q, 17), 17u);
  q = {};
  q.range = kHour;
  EXPECT_EQ(store().count_requests(q, 1u << 30), in.size());
}

TEST_P(RequestPageConformance, IdsAreUniqueAndEachFindsItsRecord) {
  std::vector<Record> in = write_all(9000, 2);
  RequestQuery q;
  q.range = kHour;
  q.limit = 100000;
  auto every = store().requests(q);
  ASSERT_EQ(every.size(), in.size());
  std::set<int64_t> ids;
  for (size_t i = 0; i < every.size(); i += 97) {  // a sample across every chunk
    const StoredRequest& listed = every[i];
    auto one = store().request(listed.id);
    ASSERT_TRUE(one) << listed.id;
    EXPECT_EQ(one->record.path, listed.record.path);
    EXPECT_EQ(one->record.start_ns, listed.record.start_ns);
    EXPECT_EQ(one->service, listed.service);
  }
  for (const StoredRequest& s : every) ids.insert(s.id);
  EXPECT_EQ(ids.size(), every.size());
  // Listed twice, the same ids in the same order (ties included).
  auto again = store().requests(q);
  ASSERT_EQ(again.size(), every.size());
  for (size_t i = 0; i < every.size(); ++i) ASSERT_EQ(again[i].id, every[i].id) << i;
}

TEST_P(RequestPageConformance, EqualStartsFillAPageAcrossBatches) {
  // 3000 records in one microsecond, then 50 more in the same one later:
  // any page of them holds only that start, and all are counted.
  std::vector<Record> same(3000, served(kT0 + 10 * kSec, kMs, "/a"));
  write(same);
  write(std::vector<Record>(50, served(kT0 + 10 * kSec, 2 * kMs, "/a")));
  write({served(kT0 + 5 * kSec, kMs, "/a")});
  RequestQuery q;
  q.range = kHour;
  q.limit = 10;
  auto page = store().requests(q);
  ASSERT_EQ(page.size(), 10u);
  for (const auto& s : page) EXPECT_EQ(s.record.start_ns, kT0 + 10 * kSec);
  q.order = RequestOrder::Slowest;
  page = store().requests(q);
  ASSERT_EQ(page.size(), 10u);
  for (const auto& s : page) EXPECT_EQ(s.record.duration_ns(), 2 * kMs);
  q.order = RequestOrder::Newest;
  q.limit = 5000;
  page = store().requests(q);
  ASSERT_EQ(page.size(), 3051u);
  EXPECT_EQ(page.back().record.start_ns, kT0 + 5 * kSec);
  EXPECT_EQ(store().count_requests(q, 1u << 20), 3051u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestPageConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
