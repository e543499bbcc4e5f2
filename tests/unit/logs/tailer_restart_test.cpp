// The tailer against a kubelet-style writer (rename, new file, gzip of the
// previous rotated file) with the agent killed and restarted at random
// points: every line is received exactly once, whatever was rotated,
// compressed or deleted while the agent was down or behind.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agent/logs/log_tailer.h"

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

void gzip_and_remove(const std::string& from) {
  std::ifstream in(from, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), {});
  std::string temp = from + ".gz.tmp";
  gzFile gz = gzopen(temp.c_str(), "wb");
  gzwrite(gz, data.data(), static_cast<unsigned>(data.size()));
  gzclose(gz);
  fs::rename(temp, from + ".gz");
  fs::remove(from);
}

// A container runtime writing "n <i>" lines into <dir>/0.log, rotated the
// kubelet's way once the file holds `rotate_bytes`.
class KubeletWriter {
 public:
  KubeletWriter(fs::path dir, size_t rotate_bytes)
      : dir_(std::move(dir)), live_((dir_ / "0.log").string()), rotate_bytes_(rotate_bytes) {}

  void write(int lines) {
    std::ofstream out(live_, std::ios::app);
    for (int i = 0; i < lines; ++i) {
      out << "2026-11-30T13:06:39.000000000Z stdout F n " << next_++ << "\n";
      if (static_cast<size_t>(out.tellp()) >= rotate_bytes_) {
        out.close();
        rotate();
        out.open(live_, std::ios::app);
      }
    }
  }
  int written() const { return next_; }
  int rotations() const { return static_cast<int>(rotated_.size()); }

  // Renames the live file, reopens an empty one and compresses the rotated
  // file before the one just renamed.
  void rotate() {
    char name[64];
    std::snprintf(name, sizeof name, ".20261130-130639-%03zu", rotated_.size());
    std::string to = live_ + name;
    fs::rename(live_, to);
    std::ofstream(live_, std::ios::app).close();  // the runtime reopens its log at once
    if (!rotated_.empty()) gzip_and_remove(rotated_.back());
    rotated_.push_back(to);
  }

 private:
  fs::path dir_;
  std::string live_;
  size_t rotate_bytes_;
  std::vector<std::string> rotated_;
  int next_ = 0;
};

class TailerRestartBase : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '-');  // a parameterized test's "Name/3"
    root_ = fs::temp_directory_path() /
            ("loupe-tailer-restart-" + std::to_string(getpid()) + "-" + test);
    fs::remove_all(root_);
    dir_ = root_ / "shop_writer-1_0c0ffee0-uid" / "app";
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(root_); }

  TailerOptions options() const {
    return TailerOptions{.globs = {(root_ / "*" / "*" / "*.log").string()}};
  }

  // One round of the collector: scan, read within a budget, deliver, and
  // (unless the agent dies first) acknowledge and save the checkpoints.
  void round(LogTailer& t, size_t budget, bool acknowledge) {
    now_ += 250'000'000;
    t.scan(now_);
    std::vector<Entry> out;
    t.read(budget, now_, out);
    for (Entry& e : out) {
      if (!keys_.insert({e.source, e.offset}).second) continue;  // the receiver has it
      numbers_.push_back(std::stoi(e.text.substr(2)));
    }
    if (acknowledge) {
      t.acknowledged();
      saved_ = t.checkpoints();
    }
  }

  fs::path root_, dir_;
  uint64_t now_ = 1'800'000'000'000'000'000ULL;
  std::set<std::pair<std::string, uint64_t>> keys_;
  std::vector<int> numbers_;
  CheckpointFile saved_;
};

class TailerRestartTest : public TailerRestartBase, public ::testing::WithParamInterface<int> {};
using TailerAnchorTest = TailerRestartBase;

TEST_P(TailerRestartTest, KubeletRotationsAndKillsLoseNothingAndDuplicateNothing) {
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  KubeletWriter writer(dir_, 16 * 1024);
  auto tailer = std::make_unique<LogTailer>(options(), CheckpointFile{});
  for (int step = 0; step < 400; ++step) {
    writer.write(static_cast<int>(rng() % 300));
    if (!tailer) {
      if (rng() % 4 == 0) tailer = std::make_unique<LogTailer>(options(), saved_);  // restart
      continue;
    }
    bool dies = rng() % 40 == 0;
    // A slow agent reads less than is written; sometimes it dies between
    // delivering and saving its checkpoints.
    round(*tailer, 4096 + rng() % 32768, !dies || rng() % 2);
    if (dies) tailer.reset();
  }
  if (!tailer) tailer = std::make_unique<LogTailer>(options(), saved_);
  for (int i = 0; i < 400; ++i) round(*tailer, 1 << 20, true);
  ASSERT_GE(writer.rotations(), 10);
  std::vector<int> sorted = numbers_;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> want(static_cast<size_t>(writer.written()));
  for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<int>(i);
  std::vector<int> missing, twice;
  std::set_difference(want.begin(), want.end(), sorted.begin(), sorted.end(),
                      std::back_inserter(missing));
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] == sorted[i - 1]) twice.push_back(sorted[i]);
  EXPECT_TRUE(missing.empty()) << "of " << writer.written() << " " << tailer->status().dump() << " "
                               << missing.size() << " missing, first " << missing.front()
                               << ", last " << missing.back();
  EXPECT_TRUE(twice.empty()) << twice.size() << " twice, first " << twice.front();
  EXPECT_EQ(numbers_, sorted) << "not in the order written";
  EXPECT_EQ(tailer->status()["lost_while_down"], 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TailerRestartTest, ::testing::Range(1, 13));

// The runtime has reopened its log but not written to it yet when the
// checkpoints are saved, so the live file has no fingerprint; while the
// agent is down it fills, is rotated, and is compressed (a new inode, its
// plain name deleted). The restart finds the file it had finished (the
// anchor, compressed too) and reads what came after it: nothing twice,
// nothing lost. (The e2e test met this under load: every file of the pod
// was read again.)
TEST_F(TailerAnchorTest, AFileEmptyAtTheCheckpointThenCompressedWhileDownIsReadOnce) {
  KubeletWriter writer(dir_, size_t{1} << 30);  // rotated only when told
  auto tailer = std::make_unique<LogTailer>(options(), CheckpointFile{});
  writer.write(100);
  round(*tailer, 1 << 20, true);
  writer.rotate();                                            // 0.log -> ...-000, an empty 0.log
  for (int i = 0; i < 8; ++i) round(*tailer, 1 << 20, true);  // -000 quiet for a second: finished
  ASSERT_EQ(numbers_.size(), 100u);
  ASSERT_TRUE(std::any_of(saved_.files.begin(), saved_.files.end(), [](const Checkpoint& c) {
    return !c.fingerprint.length;
  })) << "the live file should be unread and unrecognisable at the save";
  std::string path = (root_ / "checkpoints.json").string(), error;
  ASSERT_TRUE(save_checkpoints(path, saved_, error)) << error;
  tailer.reset();  // killed
  writer.write(100);
  writer.rotate();  // -> ...-001; -000 compressed
  writer.write(100);
  writer.rotate();  // -> ...-002; -001 (the file empty at the save) compressed
  writer.write(100);
  auto loaded = load_checkpoints(path, error);
  ASSERT_TRUE(loaded) << error;
  tailer = std::make_unique<LogTailer>(options(), *loaded);
  for (int i = 0; i < 20; ++i) round(*tailer, 1 << 20, true);
  std::vector<int> want(400);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(numbers_, want);
  EXPECT_EQ(tailer->status()["lost_while_down"], 0);
}

}  // namespace
}  // namespace loupe::logs
