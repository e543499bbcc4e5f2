#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "agent/logs/log_tailer.h"
#include "agent/logs/pod_log_path.h"

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

class TailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("loupe-tailer-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    dir_ = root_ / "shop_api-7d4f9-x2x2x_0a1b2c3d-uid" / "api";
    fs::create_directories(dir_);
    log_ = (dir_ / "0.log").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  TailerOptions options() const {
    return TailerOptions{.globs = {(root_ / "*" / "*" / "*.log").string()}, .rotated_quiet_ns = 1};
  }

  // Appends CRI lines "n <i>" for i in [from, to).
  static void write_lines(const std::string& path, int from, int to) {
    std::ofstream out(path, std::ios::app);
    for (int i = from; i < to; ++i)
      out << "2026-11-30T13:06:39.000000000Z stdout F n " << i << "\n";
  }

  // Scans and reads until nothing is left, as the server would keep it:
  // one entry per (source, offset).
  void drain(LogTailer& t) {
    for (int round = 0; round < 6; ++round) {
      now_ += 2'000'000'000;
      t.scan(now_);
      std::vector<Entry> out;
      while (t.read(1 << 20, now_, out) > 0) {
      }
      t.read(1 << 20, now_ + 2'000'000'000, out);  // idle and rotated files finish
      for (Entry& e : out) {
        if (keys_.insert({e.source, e.offset}).second)
          received_.push_back(e);
        else
          ++duplicates_;
      }
      t.acknowledged();
    }
  }

  std::vector<int> numbers() const {
    std::vector<int> n;
    for (const Entry& e : received_) n.push_back(std::stoi(e.text.substr(2)));
    return n;
  }
  static std::vector<int> range(int from, int to) {
    std::vector<int> v;
    for (int i = from; i < to; ++i) v.push_back(i);
    return v;
  }

  fs::path root_, dir_;
  std::string log_;
  uint64_t now_ = 1'800'000'000'000'000'000ULL;
  std::set<std::pair<std::string, uint64_t>> keys_;
  std::vector<Entry> received_;
  int duplicates_ = 0;
};

void gzip_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), {});
  gzFile gz = gzopen(to.c_str(), "wb");
  gzwrite(gz, data.data(), static_cast<unsigned>(data.size()));
  gzclose(gz);
  fs::remove(from);
}

TEST_F(TailerTest, AttributesKubeletPaths) {
  write_lines(log_, 0, 1);
  LogTailer t(options(), {});
  drain(t);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].namespace_, "shop");
  EXPECT_EQ(received_[0].pod, "api-7d4f9-x2x2x");
  EXPECT_EQ(received_[0].pod_uid, "0a1b2c3d-uid");
  EXPECT_EQ(received_[0].container, "api");
  EXPECT_EQ(received_[0].file, log_);
  EXPECT_FALSE(parse_pod_log_path("/var/log/syslog"));
  EXPECT_FALSE(parse_pod_log_path("/var/log/pods/nounderscore/c/0.log"));
}

TEST_F(TailerTest, KubeletRenameReopenAndGzipLoseNothing) {
  write_lines(log_, 0, 100);
  LogTailer t(options(), {});
  drain(t);
  write_lines(log_, 100, 150);  // written before the rename, read after it
  fs::rename(log_, log_ + ".20261130-130639");
  write_lines(log_, 150, 200);
  drain(t);
  gzip_file(log_ + ".20261130-130639", log_ + ".20261130-130639.gz");
  fs::rename(log_, log_ + ".20261130-130700");
  write_lines(log_, 200, 250);
  drain(t);
  EXPECT_EQ(numbers(), range(0, 250));
  EXPECT_EQ(duplicates_, 0);
  EXPECT_EQ(t.status()["rotations"], 2);
  EXPECT_EQ(t.files(), 1u);  // rotated files closed once read
}

// A file created and rotated away (renamed, then compressed) between two
// scans was never seen live: it is read from its rotated name, in order,
// before the new live file.
TEST_F(TailerTest, FileRotatedAwayBetweenTwoScansIsReadFromItsRotatedName) {
  write_lines(log_, 0, 100);
  LogTailer t(options(), {});
  drain(t);
  fs::rename(log_, log_ + ".20261130-130639");
  write_lines(log_, 100, 200);  // never live when the tailer scans
  fs::rename(log_, log_ + ".20261130-130640");
  gzip_file(log_ + ".20261130-130640", log_ + ".20261130-130640.gz");
  write_lines(log_, 200, 300);
  drain(t);
  EXPECT_EQ(numbers(), range(0, 300));
  EXPECT_EQ(duplicates_, 0);
  EXPECT_EQ(t.status()["rotated_between_scans"], 1);
}

TEST_F(TailerTest, CopyTruncateReadsTheNewContentFromItsStart) {
  write_lines(log_, 0, 50);
  LogTailer t(options(), {});
  drain(t);
  fs::copy_file(log_, log_ + ".1");
  fs::resize_file(log_, 0);
  write_lines(log_, 50, 60);  // shorter than before: the shrink is visible
  drain(t);
  EXPECT_EQ(numbers(), range(0, 60));
  EXPECT_EQ(t.status()["truncations"], 1);
  EXPECT_NE(received_.front().source, received_.back().source);
}

TEST_F(TailerTest, DeletedAndRecreatedFileIsANewFile) {
  write_lines(log_, 0, 10);
  LogTailer t(options(), {});
  drain(t);
  fs::remove(log_);
  drain(t);
  write_lines(log_, 10, 20);
  drain(t);
  EXPECT_EQ(numbers(), range(0, 20));
  EXPECT_EQ(duplicates_, 0);
}

TEST_F(TailerTest, RestartResumesFromTheAcknowledgedCheckpoint) {
  write_lines(log_, 0, 100);
  CheckpointFile saved;
  {
    LogTailer t(options(), {});
    drain(t);
    saved = t.checkpoints();
    // Read but never acknowledged: sent again after the restart.
    write_lines(log_, 100, 120);
    std::vector<Entry> lost;
    t.scan(now_);
    t.read(1 << 20, now_, lost);
    ASSERT_FALSE(lost.empty());
  }
  std::string path = (root_ / "checkpoints.json").string();
  std::string error;
  ASSERT_TRUE(save_checkpoints(path, saved, error)) << error;
  auto loaded = load_checkpoints(path, error);
  ASSERT_TRUE(loaded) << error;
  write_lines(log_, 120, 130);
  LogTailer t(options(), *loaded);
  drain(t);
  EXPECT_EQ(numbers(), range(0, 130));
  EXPECT_EQ(duplicates_, 0);
  EXPECT_EQ(t.status()["resumed"], 1);
}

TEST_F(TailerTest, FileRotatedTwiceWhileDownIsReadFromItsRotatedNames) {
  write_lines(log_, 0, 100);
  CheckpointFile saved;
  {
    LogTailer t(options(), {});
    drain(t);
    saved = t.checkpoints();
  }
  // While the agent is down: more lines, two kubelet rotations, the older
  // rotated file compressed.
  write_lines(log_, 100, 150);
  fs::rename(log_, log_ + ".20261130-130639");
  write_lines(log_, 150, 200);
  fs::rename(log_, log_ + ".20261130-130700");
  gzip_file(log_ + ".20261130-130639", log_ + ".20261130-130639.gz");
  write_lines(log_, 200, 230);
  LogTailer t(options(), saved);
  drain(t);
  EXPECT_EQ(numbers(), range(0, 230));  // 0-99 from the first run
  EXPECT_EQ(duplicates_, 0);
  EXPECT_EQ(t.status()["rotated_while_down"], 1);
}

TEST_F(TailerTest, ATenMegabyteLineWithoutNewlineIsCutAndCounted) {
  {
    std::ofstream out(log_);
    out << "before\n" << std::string(10 << 20, 'x');
  }
  LogTailer t(options(), {});
  drain(t);
  {
    std::ofstream out(log_, std::ios::app);
    out << "\nafter\n";
  }
  drain(t);
  ASSERT_EQ(received_.size(), 3u);
  EXPECT_EQ(received_[0].text, "before");
  EXPECT_EQ(received_[1].text.size(), kMaxEntryBytes);
  EXPECT_TRUE(received_[1].truncated);
  EXPECT_EQ(received_[2].text, "after");
  EXPECT_EQ(t.status()["lines_cut"], 1);
  EXPECT_EQ(t.status()["dropped"]["line_too_long"], 1);
}

// While it lives, this thread reads files as an unprivileged user (the
// filesystem uid "nobody"): root's permission override is off for it, so
// modes are enforced even when the test runs as root.
class AsNobody {
 public:
  AsNobody() : before_(setfsuid(65534)) {}
  ~AsNobody() { setfsuid(before_); }

 private:
  int before_;
};

TEST_F(TailerTest, UnreadableDirectoryAndFileAreNamedAndCountedOnce) {
  write_lines(log_, 0, 3);
  fs::path locked = root_ / "shop_locked-1_uid" / "app";
  fs::create_directories(locked);
  write_lines((locked / "0.log").string(), 0, 1);
  fs::path secret = dir_ / "1.log";
  write_lines(secret.string(), 0, 1);
  for (const fs::path& p : {root_, root_ / "shop_api-7d4f9-x2x2x_0a1b2c3d-uid", dir_})
    fs::permissions(p, fs::perms(0755));
  fs::permissions(locked.parent_path(), fs::perms(0700));
  fs::permissions(secret, fs::perms(0600));
  fs::permissions(log_, fs::perms(0644));

  LogTailer t(options(), {});
  {
    AsNobody nobody;
    drain(t);  // six scans
  }
  EXPECT_EQ(numbers(), range(0, 3));  // the readable file is followed all the same
  auto s = t.status();
  EXPECT_EQ(s["open_errors"], 2) << s.dump();  // once each, however many scans
  EXPECT_EQ(s["dropped"]["unreadable_paths"], 2);
  ASSERT_EQ(s["not_followed"].size(), 2u);
  std::set<std::string> errors;
  for (const auto& p : s["not_followed"]) {
    EXPECT_EQ(p["reason"], "unreadable");
    errors.insert(p["error"].get<std::string>());
  }
  EXPECT_EQ(errors, (std::set<std::string>{locked.parent_path().string() + ": Permission denied",
                                           secret.string() + ": Permission denied"}));

  // Once readable, it is followed and no longer listed.
  fs::permissions(secret, fs::perms(0644));
  {
    AsNobody nobody;
    drain(t);
  }
  s = t.status();
  EXPECT_EQ(s["dropped"]["unreadable_paths"], 1);
  EXPECT_EQ(s["open_errors"], 2);
  EXPECT_EQ(received_.size(), 4u);
}

TEST_F(TailerTest, FilesOverTheLimitAreCountedOnceAndListed) {
  write_lines(log_, 0, 1);
  write_lines((dir_ / "1.log").string(), 0, 1);
  write_lines((dir_ / "2.log").string(), 0, 1);
  TailerOptions opts = options();
  opts.max_open_files = 1;
  LogTailer t(opts, {});
  drain(t);
  auto s = t.status();
  EXPECT_EQ(s["files_followed"], 1);
  EXPECT_EQ(s["skipped_file_limit"], 2);
  EXPECT_EQ(s["dropped"]["file_limit_paths"], 2);
  EXPECT_EQ(s["not_followed"][0]["reason"], "file_limit");
}

TEST_F(TailerTest, BinaryGarbageAndUnreadableEntriesAreHandled) {
  {
    std::ofstream out(log_, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919) & 0xff));
  }
  fs::create_directories(root_ / "empty_dir_x_y" / "c" /
                         "0.log");  // a directory where a file was expected
  LogTailer t(options(), {});
  drain(t);
  EXPECT_FALSE(received_.empty());
  EXPECT_GT(t.status()["invalid_utf8"].get<int>(), 0);
}

}  // namespace
}  // namespace loupe::logs
