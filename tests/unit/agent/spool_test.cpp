#include "agent/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace loupe {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/loupe-spool-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<fs::path> batch_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".batch") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string read_magic(const fs::path& p) {
    std::string magic(4, '\0');
    std::ifstream(p, std::ios::binary).read(magic.data(), 4);
    return magic;
  }
  std::string dir_;
};

TEST_F(SpoolTest, ReplaysInOrderAfterReopen) {
  {
    Spool s(dir_, 1 << 20);
    ASSERT_TRUE(s.append(1, "first", BodyFormat::Records));
    ASSERT_TRUE(s.append(2, "second", BodyFormat::Records));
    ASSERT_TRUE(s.append(3, "third", BodyFormat::Records));
    EXPECT_EQ(s.stats().records, 6u);
  }
  Spool s(dir_, 1 << 20);
  EXPECT_EQ(s.stats().inherited_records, 6u);
  std::vector<std::string> bodies;
  while (auto b = s.front()) {
    bodies.push_back(b->body);
    s.pop_front();
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.stats().bytes, 0u);
  // New batches continue the sequence after a reopen of an emptied spool.
  ASSERT_TRUE(s.append(1, "fourth", BodyFormat::Records));
  EXPECT_EQ(s.front()->body, "fourth");
}

TEST_F(SpoolTest, StaysWithinItsBytesDroppingTheOldestCounted) {
  const std::string body(300, 'x');  // 316 bytes per file with the header
  Spool s(dir_, 1000);
  for (uint32_t i = 1; i <= 5; ++i)
    ASSERT_TRUE(s.append(10 * i, body + std::to_string(i), BodyFormat::Records));
  EXPECT_LE(s.stats().bytes, 1000u);
  EXPECT_EQ(s.stats().files, 3u);
  EXPECT_EQ(s.stats().evicted_records, 10u + 20u);
  EXPECT_EQ(s.stats().records, 30u + 40u + 50u);
  EXPECT_EQ(s.front()->body, body + "3");
  uint64_t on_disk = 0;
  for (const auto& p : batch_files()) on_disk += fs::file_size(p);
  EXPECT_EQ(on_disk, s.stats().bytes);
}

TEST_F(SpoolTest, TheBatchBeingDeliveredIsNotEvicted) {
  const std::string body(300, 'x');  // 316 bytes per file, 3 fit in 1000
  Spool s(dir_, 1000);
  for (uint32_t i = 1; i <= 3; ++i)
    ASSERT_TRUE(s.append(10 * i, body + std::to_string(i), BodyFormat::Records));
  ASSERT_EQ(s.front()->body, body + "1");                      // held: on its way to the server
  ASSERT_TRUE(s.append(40, body + "4", BodyFormat::Records));  // the spill thread appends meanwhile
  EXPECT_EQ(s.stats().evicted_records, 20u);
  s.pop_front();  // delivered
  ASSERT_EQ(s.front()->body, body + "3");
  s.release_front();  // not delivered: stays, and is the oldest to evict again
  ASSERT_TRUE(s.append(50, body + "5", BodyFormat::Records));
  ASSERT_TRUE(s.append(60, body + "6", BodyFormat::Records));
  EXPECT_EQ(s.stats().evicted_records, 20u + 30u);
  EXPECT_EQ(s.front()->body, body + "4");
}

TEST_F(SpoolTest, RefusesABatchLargerThanTheWholeBound) {
  Spool s(dir_, 100);
  ASSERT_TRUE(s.append(1, "small", BodyFormat::Records));
  EXPECT_FALSE(s.append(7, std::string(200, 'y'), BodyFormat::Records));
  EXPECT_EQ(s.stats().refused_records, 7u);
  EXPECT_EQ(s.stats().records, 1u);  // what was there stays
}

TEST_F(SpoolTest, TornTailAfterACrashIsRemovedAndCounted) {
  {
    Spool s(dir_, 1 << 20);
    ASSERT_TRUE(s.append(4, "whole batch", BodyFormat::Records));
    ASSERT_TRUE(s.append(5, "torn batch, cut by a crash", BodyFormat::Records));
  }
  auto files = batch_files();
  ASSERT_EQ(files.size(), 2u);
  fs::resize_file(files[1], fs::file_size(files[1]) - 5);
  std::ofstream(dir_ + "/00000000000000000003.batch.tmp") << "half written";
  Spool s(dir_, 1 << 20);
  EXPECT_EQ(s.stats().corrupt_files, 2u);    // the torn file and the temporary one
  EXPECT_EQ(s.stats().corrupt_records, 5u);  // the torn header still said how many
  EXPECT_EQ(s.stats().inherited_records, 4u + 5u);
  EXPECT_EQ(s.front()->body, "whole batch");
  s.pop_front();
  EXPECT_FALSE(s.front());
  EXPECT_FALSE(fs::exists(dir_ + "/00000000000000000003.batch.tmp"));
}

TEST_F(SpoolTest, DamagedBodyIsSkippedAndCounted) {
  Spool s(dir_, 1 << 20);
  ASSERT_TRUE(s.append(2, "damaged later", BodyFormat::Records));
  ASSERT_TRUE(s.append(3, "intact", BodyFormat::Records));
  {
    std::fstream f(batch_files()[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('!');
  }
  auto b = s.front();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "intact");
  EXPECT_EQ(s.stats().corrupt_files, 1u);
  EXPECT_EQ(s.stats().corrupt_records, 2u);
  EXPECT_EQ(s.stats().records, 3u);
}

TEST_F(SpoolTest, GarbageFilesAreCountedNotFatal) {
  std::ofstream(dir_ + "/00000000000000000001.batch") << "not a spool file at all";
  std::ofstream(dir_ + "/notes.txt") << "left alone";
  Spool s(dir_, 1 << 20);
  EXPECT_EQ(s.stats().corrupt_files, 1u);
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(fs::exists(dir_ + "/notes.txt"));
}

TEST_F(SpoolTest, EachBatchKeepsItsBodyFormatAcrossAReopen) {
  {
    Spool s(dir_, 1 << 20);
    ASSERT_TRUE(s.append(1, "json from an older agent", BodyFormat::GzipJson));
    ASSERT_TRUE(s.append(2, "compact records", BodyFormat::Records));
  }
  EXPECT_EQ(read_magic(batch_files()[0]), "LPS1");  // what agents wrote before the batch codec
  EXPECT_EQ(read_magic(batch_files()[1]), "LPS2");
  Spool s(dir_, 1 << 20);
  auto first = s.front();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->format, BodyFormat::GzipJson);
  EXPECT_EQ(first->body, "json from an older agent");
  s.pop_front();
  EXPECT_EQ(s.front()->format, BodyFormat::Records);
}

TEST_F(SpoolTest, AFileOfAnUnknownFormatIsCountedNotReplayed) {
  {
    Spool s(dir_, 1 << 20);
    ASSERT_TRUE(s.append(4, "from a newer agent", BodyFormat::Records));
  }
  {
    std::fstream f(batch_files()[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('9');
  }
  Spool s(dir_, 1 << 20);
  EXPECT_EQ(s.stats().corrupt_files, 1u);
  EXPECT_TRUE(s.empty());
}

TEST_F(SpoolTest, ABodyTheReaderCannotUseIsRemovedAndCounted) {
  Spool s(dir_, 1 << 20);
  ASSERT_TRUE(s.append(6, "checksummed but not a batch", BodyFormat::Records));
  ASSERT_TRUE(s.append(7, "next", BodyFormat::Records));
  ASSERT_TRUE(s.front());
  s.drop_front_unreadable();
  EXPECT_EQ(s.stats().corrupt_files, 1u);
  EXPECT_EQ(s.stats().corrupt_records, 6u);
  EXPECT_EQ(s.stats().records, 7u);
  EXPECT_EQ(s.front()->body, "next");
  EXPECT_EQ(batch_files().size(), 1u);
}

TEST_F(SpoolTest, OneAgentPerDirectory) {
  Spool first(dir_, 1 << 20);
  EXPECT_THROW(Spool(dir_, 1 << 20), SpoolError);
}

}  // namespace
}  // namespace loupe
