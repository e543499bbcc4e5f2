#include "store/clickhouse/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <tuple>

#include "store/store.h"

namespace loupe::store::clickhouse::testing {
namespace {
namespace fs = std::filesystem;

PreparedWrite write_of(uint64_t id, size_t body_bytes, std::vector<std::string> batch_ids = {}) {
  PreparedWrite w;
  w.write_id = id;
  w.records = 10 * id;
  w.rows = 10 * id + 1;
  w.batch_ids = std::move(batch_ids);
  w.parts.push_back({"loupe_records", "loupe_records (id)", 490152, std::string(body_bytes, 'r')});
  w.parts.push_back(
      {"loupe_batches", "loupe_batches (batch_id)", kAnyHour, std::string("\0\n\xff", 3)});
  return w;
}

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("loupe-spool-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

TEST(PreparedWrite, SerializedWriteReadsBackTheSame) {
  PreparedWrite w = write_of(0x7ffffffffffULL, 1000, {"agent a 1", "agent b 2"});
  std::optional<PreparedWrite> back = parse_write(serialize(w));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->write_id, w.write_id);
  EXPECT_EQ(back->records, w.records);
  EXPECT_EQ(back->rows, w.rows);
  EXPECT_EQ(back->batch_ids, w.batch_ids);
  ASSERT_EQ(back->parts.size(), 2u);
  EXPECT_EQ(back->parts[0].table, "loupe_records");
  EXPECT_EQ(back->parts[0].hour, 490152u);
  EXPECT_EQ(back->parts[0].body, w.parts[0].body);
  EXPECT_EQ(back->parts[1].hour, kAnyHour);
  EXPECT_EQ(back->parts[1].body, w.parts[1].body);
}

TEST(PreparedWrite, TruncatedOrExtendedBytesAreNotAWrite) {
  std::string bytes = serialize(write_of(7, 100, {"agent a 1"}));
  for (size_t cut : {size_t{0}, size_t{5}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_FALSE(parse_write(bytes.substr(0, cut))) << cut;
  EXPECT_FALSE(parse_write(bytes + "x"));
  std::string flipped = bytes;
  flipped[0] ^= 1;
  EXPECT_FALSE(parse_write(flipped));
}

TEST(PreparedWrite, MergedWritesAreOnePartPerTableAndHourKeysLast) {
  auto part = [](std::string table, uint32_t hour, std::string body) {
    return WritePart{table, table + " (x)", hour, std::move(body)};
  };
  PreparedWrite a{1,
                  2,
                  2,
                  {"agent a 1"},
                  {part("loupe_services", kAnyHour, "S1"), part("loupe_records", 100, "r1"),
                   part("loupe_record_minute", 100, "m1"), part("loupe_batches", kAnyHour, "k1")}};
  PreparedWrite b{2,
                  3,
                  3,
                  {"agent b 1"},
                  {part("loupe_records", 100, "r2"), part("loupe_record_minute", 100, "m2"),
                   part("loupe_records", 101, "r3"), part("loupe_record_minute", 101, "m3"),
                   part("loupe_batches", kAnyHour, "k2")}};
  // A metric write (no records, no batch keys) goes in with the services.
  PreparedWrite c = idempotent_write("loupe_metric_samples", "x", "M1", 4);
  PreparedWrite m = merge_writes({a, b, c});
  EXPECT_EQ(m.records, 5u);
  EXPECT_EQ(m.rows, 9u);
  EXPECT_EQ(m.batch_ids, (std::vector<std::string>{"agent a 1", "agent b 1"}));
  std::vector<std::tuple<std::string, uint32_t, std::string>> got;
  for (const WritePart& p : m.parts) got.emplace_back(p.table, p.hour, p.body);
  EXPECT_EQ(got, (std::vector<std::tuple<std::string, uint32_t, std::string>>{
                     {"loupe_metric_samples", kAnyHour, "M1"},
                     {"loupe_services", kAnyHour, "S1"},
                     {"loupe_records", 100, "r1r2"},
                     {"loupe_record_minute", 100, "m1m2"},
                     {"loupe_records", 101, "r3"},
                     {"loupe_record_minute", 101, "m3"},
                     {"loupe_batches", kAnyHour, "k1k2"}}));
}

TEST_F(SpoolTest, WritesComeBackInOrderAfterAReopen) {
  {
    Spool spool(dir(), 1 << 20);
    EXPECT_TRUE(spool.empty());
    ASSERT_TRUE(spool.append(write_of(1, 10, {"agent a 1"})));
    ASSERT_TRUE(spool.append(write_of(2, 10, {"agent a 2"})));
    EXPECT_EQ(spool.writes(), 2u);
    EXPECT_EQ(spool.records(), 30u);
    EXPECT_TRUE(spool.holds_batch("agent a 2"));
  }
  std::ofstream(dir() + "/0000000000000099.tmp") << "killed while spooling";
  Spool again(dir(), 1 << 20);
  EXPECT_FALSE(fs::exists(dir() + "/0000000000000099.tmp"));
  ASSERT_EQ(again.writes(), 2u);
  EXPECT_TRUE(again.holds_batch("agent a 1"));
  EXPECT_EQ(again.front().write_id, 1u);
  EXPECT_TRUE(again.waiting(1).sent_before);  // found at start: resumed, not merged
  again.pop_front();
  EXPECT_FALSE(again.holds_batch("agent a 1"));
  EXPECT_EQ(again.front().write_id, 2u);
  ASSERT_TRUE(again.append(write_of(3, 10)));  // numbered after what it found
  again.pop_front();
  EXPECT_EQ(again.front().write_id, 3u);
  again.pop_front();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.bytes(), 0u);
}

TEST_F(SpoolTest, BoundRefusesAWriteUnlessTheSpoolIsEmpty) {
  Spool spool(dir(), 3000);
  ASSERT_TRUE(spool.append(write_of(1, 5000)));  // alone: always taken
  EXPECT_FALSE(spool.append(write_of(2, 10)));
  EXPECT_EQ(spool.writes(), 1u);
  spool.pop_front();
  ASSERT_TRUE(spool.append(write_of(3, 1000)));
  ASSERT_TRUE(spool.append(write_of(4, 1000)));
  EXPECT_FALSE(spool.append(write_of(5, 1000)));
  EXPECT_LE(spool.bytes(), 3000u);
}

TEST_F(SpoolTest, UnreadableFileIsSetAsideAndCounted) {
  {
    Spool spool(dir(), 1 << 20);
    ASSERT_TRUE(spool.append(write_of(1, 10)));
    ASSERT_TRUE(spool.append(write_of(2, 10)));
  }
  fs::resize_file(dir() + "/0000000000000001.write", 20);
  Spool again(dir(), 1 << 20);
  EXPECT_EQ(again.unreadable(), 1u);
  ASSERT_EQ(again.writes(), 1u);
  EXPECT_EQ(again.front().write_id, 2u);
  EXPECT_TRUE(fs::exists(dir() + "/0000000000000001.bad"));
}

TEST_F(SpoolTest, DirectoryThatCannotBeMadeIsAClearError) {
  std::ofstream(dir()) << "a file, not a directory";
  try {
    Spool spool(dir() + "/spool", 1 << 20);
    FAIL() << "opened a spool under a file";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("ClickHouse spool: cannot create"), std::string::npos)
        << e.what();
  }
  fs::remove(dir());
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
