// Conformance: logs (entries newest first with every field, an entry sent
// again, full-text search and filters, cursor paging, histograms, counts
// per source, patterns, retention) give the same answers from every
// backend: the embedded store's FTS5 index and ClickHouse's word matches.
#include <array>
#include <map>

#include "conformance.h"

namespace loupe::store::testing {
namespace {

using LogConformance = StoreConformance;

logs::Entry entry(uint64_t t_ns, const std::string& text, logs::Level level = logs::Level::Info,
                  const std::string& pod = "api-1", uint64_t offset = 0) {
  logs::Entry e;
  e.time_ns = t_ns;
  e.text = text;
  e.level = level;
  e.stream = logs::Stream::Stdout;
  e.node = "node-1";
  e.source = "src-" + pod;
  e.offset = offset ? offset : t_ns - kT0;
  e.file = "/var/log/pods/shop_" + pod + "_uid/api/0.log";
  e.namespace_ = "shop";
  e.pod = pod;
  e.container = "api";
  e.workload = "shop/Deployment/api";
  return e;
}

LogQuery all() {
  LogQuery q;
  q.range = {kT0, kT0 + 3600 * kSec};
  q.limit = 1000;
  return q;
}

TEST_P(LogConformance, NewestFirstWithEveryField) {
  store().write_logs(
      {entry(kT0 + 1 * kSec, "first"), entry(kT0 + 2 * kSec, "second", logs::Level::Error)});
  auto got = store().logs(all());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].entry.text, "second");
  EXPECT_EQ(got[0].entry.level, logs::Level::Error);
  EXPECT_EQ(got[1].entry.text, "first");
  EXPECT_EQ(got[1].entry.pod, "api-1");
  EXPECT_EQ(got[1].entry.workload, "shop/Deployment/api");
  EXPECT_EQ(got[1].entry.offset, 1 * kSec);
  EXPECT_EQ(store().stats().logs_stored, 2u);
}

TEST_P(LogConformance, AnEntrySentAgainIsStoredOnce) {
  auto batch = std::vector<logs::Entry>{entry(kT0 + kSec, "once"), entry(kT0 + 2 * kSec, "twice")};
  EXPECT_EQ(store().write_logs(batch), 2u);
  EXPECT_EQ(store().write_logs(batch), 0u);
  batch[0].node = "node-2";  // another node's file with the same source name is another entry
  EXPECT_EQ(store().write_logs(batch), 1u);
  EXPECT_EQ(store().logs(all()).size(), 3u);
}

TEST_P(LogConformance, FullTextSearchAndFilters) {
  store().write_logs(
      {entry(kT0 + 1 * kSec, "GET /orders 200 trace=abc123"),
       entry(kT0 + 2 * kSec, "payment declined for order 42", logs::Level::Warn),
       entry(kT0 + 3 * kSec, "connection refused to db:5432", logs::Level::Error, "worker-1")});
  auto q = all();
  q.text = "declined order";
  auto got = store().logs(q);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].entry.text, "payment declined for order 42");
  q.text = "abc*";
  EXPECT_EQ(store().logs(q).size(), 1u);
  q.text = "\"unbalanced AND OR (";  // words, never FTS5 syntax
  EXPECT_TRUE(store().logs(q).empty());
  q = all();
  q.levels = {logs::Level::Error, logs::Level::Warn};
  EXPECT_EQ(store().logs(q).size(), 2u);
  q.pod = "worker-1";
  EXPECT_EQ(store().logs(q).size(), 1u);
  auto counts = store().count_logs(q);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].count, 1u);
  EXPECT_EQ(counts[0].pod, "worker-1");
  EXPECT_EQ(counts[0].workload, "shop/Deployment/api");
  q = all();
  q.workload = "shop/Deployment/other";
  EXPECT_TRUE(store().logs(q).empty());
}

TEST_P(LogConformance, CursorPagesWithoutGapsOrRepeats) {
  std::vector<logs::Entry> batch;
  for (int i = 0; i < 25; ++i)
    batch.push_back(entry(kT0 + kSec * (1 + i / 5), "n " + std::to_string(i), logs::Level::Info,
                          "api-1", 1 + i));
  store().write_logs(batch);
  auto q = all();
  q.limit = 7;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto got = store().logs(q);
    for (auto& r : got) seen.push_back(r.entry.text);
    if (got.size() < q.limit) break;
    q.before = std::pair{got.back().entry.time_ns, got.back().id};
  }
  ASSERT_EQ(seen.size(), 25u);
  for (int i = 0; i < 25; ++i)
    EXPECT_EQ(seen[static_cast<size_t>(i)], "n " + std::to_string(24 - i));
}

TEST_P(LogConformance, HistogramCountsByLevel) {
  store().write_logs({entry(kT0 + 1 * kSec, "a"), entry(kT0 + 2 * kSec, "b", logs::Level::Error),
                      entry(kT0 + 61 * kSec, "c", logs::Level::Error)});
  auto h = store().log_histogram(all(), 60);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].t, kT0 / kSec);
  EXPECT_EQ(h[0].counts[static_cast<size_t>(logs::Level::Info)], 1u);
  EXPECT_EQ(h[0].counts[static_cast<size_t>(logs::Level::Error)], 1u);
  EXPECT_EQ(h[1].counts[static_cast<size_t>(logs::Level::Error)], 1u);
}

// Whole minutes are answered from the per-minute counts, partial ones from
// the rows: the sums must equal counting the entries, whatever the range's
// alignment, the filters and whether an entry has a pattern.
TEST_P(LogConformance, HistogramEqualsCountingTheEntriesForAnyRangeAndFilter) {
  std::vector<logs::Entry> batch;
  for (uint64_t i = 0; i < 600; ++i) {
    logs::Entry e =
        entry(kT0 + i * kSec + (i % 7) * kSec / 10, "line " + std::to_string(i),
              i % 3 ? logs::Level::Info : logs::Level::Error, i % 2 ? "api-1" : "api-2", i + 1);
    e.pattern = static_cast<uint32_t>(i % 4);  // 0: an entry without a pattern
    batch.push_back(e);
  }
  store().write_logs(batch);
  auto expect = [&](const LogQuery& q, uint64_t step_s) {
    std::map<uint64_t, std::array<uint64_t, 7>> want;
    for (const logs::Entry& e : batch) {
      if (e.time_ns < q.range.from_ns || e.time_ns >= q.range.to_ns) continue;
      if (q.pod && e.pod != *q.pod) continue;
      if (!q.levels.empty() && e.level != q.levels[0]) continue;
      if (q.pattern && e.pattern != *q.pattern) continue;
      ++want[e.time_ns / kSec / step_s * step_s][static_cast<size_t>(e.level)];
    }
    auto got = store().log_histogram(q, step_s);
    ASSERT_EQ(got.size(), want.size());
    for (const auto& point : got) EXPECT_EQ(point.counts, want[point.t]) << point.t;
  };
  auto q = all();
  expect(q, 60);
  expect(q, 120);
  expect(q, 7);
  q.range = {kT0 + 30 * kSec + kSec / 2, kT0 + 545 * kSec};
  expect(q, 60);
  expect(q, 180);
  q.pod = "api-2";
  expect(q, 60);
  q.levels = {logs::Level::Error};
  expect(q, 60);
  q.pattern = 2;
  expect(q, 60);
  q.range = {kT0 + 61 * kSec, kT0 + 119 * kSec};  // inside one minute
  expect(q, 60);
}

// A word in every entry is searched row by row, newest first, a rare one
// through its matching set: both give the newest entries by time, although
// entries were stored out of time order.
TEST_P(LogConformance, CommonAndRareWordsGiveTheNewestByTime) {
  std::vector<logs::Entry> batch;
  for (uint64_t i = 0; i < 3000; ++i) {
    uint64_t t = (i * 7919) % 3000;  // a permutation of the seconds
    batch.push_back(entry(kT0 + t * kSec,
                          "common " + std::string(t % 500 ? "" : "rare ") + std::to_string(t),
                          logs::Level::Info, "api-1", i + 1));
  }
  store().write_logs(batch);
  auto q = all();
  q.limit = 10;
  q.text = "common";
  auto got = store().logs(q);
  ASSERT_EQ(got.size(), 10u);
  for (uint64_t i = 0; i < 10; ++i)
    EXPECT_EQ(got[i].entry.text, "common " + std::to_string(2999 - i));
  q.text = "rare";
  got = store().logs(q);
  ASSERT_EQ(got.size(), 6u);
  for (uint64_t i = 0; i < 6; ++i)
    EXPECT_EQ(got[i].entry.text, "common rare " + std::to_string(2500 - 500 * i));
}

TEST_P(LogConformance, RetentionDeletesOldEntriesAndTheirText) {
  store().write_logs(
      {entry(kT0 + 1 * kSec, "old words"), entry(kT0 + 3 * 24 * 3600 * kSec, "new words")});
  store().enforce_retention(kT0 + 3 * 24 * 3600 * kSec);
  auto q = all();
  q.range = {0, kT0 + 4 * 24 * 3600 * kSec};
  q.text = "words";
  auto got = store().logs(q);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].entry.text, "new words");
  EXPECT_EQ(store().stats().logs_stored, 1u);
}

TEST_P(LogConformance, PatternsAreCountedPerMinuteAndFilteredLikeEntries) {
  logs::PatternMiner miner;
  std::vector<logs::Entry> batch;
  // Minute 0: 3 logins (api-1), 2 errors (api-2); minute 1: 1 login (api-2).
  for (int i = 0; i < 3; ++i)
    batch.push_back(entry(kT0 + (1 + i) * kSec, "user " + std::to_string(i) + " logged in"));
  for (int i = 0; i < 2; ++i)
    batch.push_back(entry(kT0 + (5 + i) * kSec, "disk " + std::to_string(i) + " full",
                          logs::Level::Error, "api-2"));
  batch.push_back(entry(kT0 + 61 * kSec, "user 9 logged in", logs::Level::Info, "api-2"));
  store().write_log_patterns(miner.assign(batch));
  store().write_logs(batch);
  store().write_logs(batch);  // sent again: counted once
  LogPatternQuery q;
  q.filter = all();
  auto got = store().log_patterns(q);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].pattern.text, "user <*> logged in");
  EXPECT_EQ(got[0].count, 4u);
  EXPECT_EQ(got[0].pattern.first_seen_ns, kT0 + kSec);
  EXPECT_EQ(got[0].pattern.example, "user 0 logged in");
  ASSERT_EQ(got[0].points.size(), 2u);
  EXPECT_EQ(got[0].points[0], std::make_pair(kT0 / kSec, uint64_t{3}));
  EXPECT_EQ(got[1].pattern.text, "disk <*> full");
  EXPECT_EQ(got[1].pattern.level, logs::Level::Error);
  EXPECT_EQ(got[1].count, 2u);

  q.filter.pod = "api-2";
  got = store().log_patterns(q);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].count, 2u);  // the errors
  EXPECT_EQ(got[1].count, 1u);
  q.filter.pod.reset();
  q.filter.levels = {logs::Level::Error};
  EXPECT_EQ(store().log_patterns(q).size(), 1u);
  q.filter.levels.clear();
  q.filter.text = "logged";
  EXPECT_EQ(store().log_patterns(q).size(), 1u);
  q.filter.text.clear();
  q.first_seen_after_ns = kT0 + 3 * kSec;
  ASSERT_EQ(store().log_patterns(q).size(), 1u);  // only the disk pattern is that new
  q.first_seen_after_ns.reset();
  // The window of minute 1 compares with minute 0 before it.
  q.filter.range = {kT0 + 60 * kSec, kT0 + 120 * kSec};
  got = store().log_patterns(q);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].count, 1u);
  EXPECT_EQ(got[0].previous_count, 3u);

  // Entries name their pattern; count_logs and logs filter on it.
  LogQuery by_pattern = all();
  by_pattern.pattern = batch[3].pattern;
  ASSERT_EQ(store().count_logs(by_pattern).size(), 1u);
  EXPECT_EQ(store().count_logs(by_pattern)[0].count, 2u);
  EXPECT_EQ(store().logs(by_pattern).at(0).entry.pattern, batch[3].pattern);
  // The miner resumes from the store.
  EXPECT_EQ(store().all_log_patterns().size(), 2u);
}

// What the search words mean, beyond plain words: case, punctuation inside
// a word (its tokens one after the other), prefixes, a word without letters,
// separators that are not spaces, a pod's workload learnt late.
TEST_P(LogConformance, SearchWordsAsTheFullTextIndexReadsThem) {
  auto late = entry(kT0 + 5 * kSec, "late naming", logs::Level::Info, "web-1");
  late.workload = "";
  store().write_logs({entry(kT0 + 1 * kSec, "User_ID=5 logged in from 10.0.0.7"),
                      entry(kT0 + 2 * kSec, "GET /api/Orders?id=42 took 17ms"),
                      entry(kT0 + 3 * kSec, "foo-bar baz\nnext line"),
                      entry(kT0 + 4 * kSec, "unrelated: orderly shutdown"), late});
  auto named = entry(kT0 + 6 * kSec, "now named", logs::Level::Info, "web-1");
  named.workload = "shop/Deployment/web";
  store().write_logs({named});
  auto texts = [&](const std::string& text) {
    auto q = all();
    q.text = text;
    std::vector<std::string> out;
    for (auto& r : store().logs(q)) out.push_back(r.entry.text);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(texts("orders"), V{"GET /api/Orders?id=42 took 17ms"});
  EXPECT_EQ(texts("ORDER*"), (V{"unrelated: orderly shutdown", "GET /api/Orders?id=42 took 17ms"}));
  EXPECT_EQ(texts("order"), V{});
  EXPECT_EQ(texts("user_id"), V{"User_ID=5 logged in from 10.0.0.7"});
  EXPECT_EQ(texts("id=5"), V{"User_ID=5 logged in from 10.0.0.7"});
  EXPECT_EQ(texts("0.0.7"), V{"User_ID=5 logged in from 10.0.0.7"});
  EXPECT_EQ(texts("foo.bar"), V{"foo-bar baz\nnext line"});
  EXPECT_EQ(texts("bar-baz"), V{"foo-bar baz\nnext line"});
  EXPECT_EQ(texts("baz next"), V{"foo-bar baz\nnext line"});
  EXPECT_EQ(texts("17"), V{});
  EXPECT_EQ(texts("17ms ("), V{"GET /api/Orders?id=42 took 17ms"});
  EXPECT_EQ(texts("( --"), V{});
  auto q = all();
  q.workload = "shop/Deployment/web";
  ASSERT_EQ(store().logs(q).size(), 2u) << "the entry read before its pod was known too";
  EXPECT_EQ(store().logs(q)[1].entry.workload, "shop/Deployment/web");
  auto counts = store().count_logs(q);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].count, 2u);
  EXPECT_EQ(counts[0].workload, "shop/Deployment/web");
}

TEST_P(LogConformance, EntriesAndPatternsOutliveARestart) {
  logs::PatternMiner miner;
  std::vector<logs::Entry> batch{entry(kT0 + kSec, "job 1 done"),
                                 entry(kT0 + 2 * kSec, "job 2 done")};
  store().write_log_patterns(miner.assign(batch));
  store().write_logs(batch);
  reopen();
  EXPECT_EQ(store().logs(all()).size(), 2u);
  EXPECT_EQ(store().write_logs(batch), 0u) << "still known after the restart";
  auto patterns = store().all_log_patterns();
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].text, "job <*> done");
  EXPECT_EQ(patterns[0].example, "job 1 done");
}

INSTANTIATE_TEST_SUITE_P(Backends, LogConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
