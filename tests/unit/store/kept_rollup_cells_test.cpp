// The embedded store's rollup cells kept from round to round
// (store/rollup_rows.h): whatever rounds the records came in, the rollups
// read back are those of one round of them all; a rolled-back round leaves
// nothing in them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "conformance.h"
#include "pipeline/record_pipeline.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

using testing::exchange;
using testing::kHour;
using testing::kSec;
using testing::kT0;
using TempDir = loupe::testing::TempDir;
constexpr uint64_t kUs = 1'000ULL;

// A server record of `route` (an external caller: a map edge too).
Record served(uint64_t start_ns, uint64_t dur_ns, const std::string& route, int status) {
  return exchange(Role::Server, 7, "api", "127.0.0.1:8000", "192.0.2.1:40000", start_ns, dur_ns,
                  route, status);
}

// Round k of a test's traffic: /a in every round but the third (so its
// kept cell is forgotten, then read back), /b in the first and fourth,
// errors now and then, the minute turning in the fourth round.
std::vector<Record> round_of(int k) {
  std::vector<Record> out;
  uint64_t base = kT0 + static_cast<uint64_t>(k) * 17 * kSec;
  for (int i = 0; i < 40; ++i) {
    auto at = base + static_cast<uint64_t>(i) * 250'000'000ULL;
    auto dur = (50 + static_cast<uint64_t>((k * 37 + i * 13) % 900)) * kUs;
    if (k != 2) out.push_back(served(at, dur, "/a", i % 9 == 0 ? 500 : 200));
    if (k == 0 || k == 3) out.push_back(served(at, 3 * dur, "/b", 200));
  }
  return out;
}

// What a reader sees of the rollups, sketches serialized: equal only when
// every count and bucket is.
std::string rollups_seen(Store& st) {
  std::string seen;
  for (const EndpointSummary& e : st.endpoints(std::nullopt, kHour))
    seen += e.route + " " + std::to_string(e.red.requests) + " " + std::to_string(e.red.errors) +
            " " + e.latency.serialize() + "\n";
  for (const LatencyPoint& p : st.latency({"api:8000", "/a", std::nullopt, 0.99, 60, kHour}))
    seen += std::to_string(p.t) + " " + std::to_string(p.count) + " " + std::to_string(p.errors) +
            " " + std::to_string(p.value_ms) + "\n";
  for (const MapEdge& e : st.map(kHour))
    seen += e.caller + " -> " + e.callee + " " + std::to_string(e.red.requests) + " " +
            std::to_string(e.red.errors) + " " + std::to_string(e.red.p99_ms) + "\n";
  return seen;
}

TEST(KeptRollupCells, ManyRoundsReadBackAsOneRoundOfTheSameRecords) {
  TempDir one_dir, many_dir;
  auto one = open_sqlite_store(one_dir.path());
  auto many = open_sqlite_store(many_dir.path());
  pipeline::RecordPipeline one_pipe(*one), many_pipe(*many);
  std::vector<Record> all;
  for (int k = 0; k < 6; ++k) {
    auto round = round_of(k);
    all.insert(all.end(), round.begin(), round.end());
    many_pipe.write(round);
  }
  one_pipe.write(all);
  std::string expected = rollups_seen(*one);
  ASSERT_NE(expected.find("/a 200 "), std::string::npos) << expected;  // 5 rounds of 40
  ASSERT_NE(expected.find("/b 80 "), std::string::npos) << expected;
  ASSERT_NE(expected.find("-> api:8000 280 "), std::string::npos) << expected;  // the map
  ASSERT_EQ(expected.find("1764000000 0 "), std::string::npos) << expected;     // /a's first minute
  ASSERT_EQ(expected.find("1764000060 0 "), std::string::npos) << expected;     // and second
  EXPECT_EQ(rollups_seen(*many), expected);
}

TEST(KeptRollupCells, ARolledBackRoundLeavesNothingInTheRollups) {
  TempDir dir;
  auto st = open_sqlite_store(dir.path());
  pipeline::RecordPipeline pipe(*st);
  pipe.write(round_of(0));
  // The next round fails at its chunk, after its records went into the
  // kept cells, and is rolled back.
  std::string path = (std::filesystem::path(dir.path()) / "loupe.db").string();
  Db(path).exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON request_chunks BEGIN SELECT RAISE(ABORT, 'no'); "
      "END");
  EXPECT_THROW(pipe.write(round_of(1)), StoreError);
  Db(path).exec("DROP TRIGGER refuse");
  pipe.write(round_of(3));

  TempDir expected_dir;
  auto expected = open_sqlite_store(expected_dir.path());
  pipeline::RecordPipeline expected_pipe(*expected);
  expected_pipe.write(round_of(0));
  expected_pipe.write(round_of(3));
  EXPECT_EQ(rollups_seen(*st), rollups_seen(*expected));
  EXPECT_EQ(st->stats().records_stored, expected->stats().records_stored);
}

}  // namespace
}  // namespace loupe::store
