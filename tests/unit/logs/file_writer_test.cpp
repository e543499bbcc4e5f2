// Bare-host attribution: a real child process appending to a log file is
// found as its writer, and the tailer names its entries after it.
#include "agent/logs/file_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/logs/log_tailer.h"

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

TEST(SystemdUnit, FromEitherHierarchy) {
  EXPECT_EQ(systemd_unit_of("0::/system.slice/nginx.service\n"), "nginx.service");
  EXPECT_EQ(systemd_unit_of("12:memory:/system.slice/x.service\n"
                            "1:name=systemd:/system.slice/cron.service\n"
                            "0::/\n"),
            "cron.service");
  EXPECT_EQ(systemd_unit_of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
                            "app-web.service\n"),
            "app-web.service");
  EXPECT_EQ(systemd_unit_of("0::/user.slice/user-1000.slice/session-3.scope\n"), "");
  EXPECT_EQ(systemd_unit_of(""), "");
  EXPECT_EQ(systemd_unit_of("garbage\n::\n0::\n"), "");
  EXPECT_EQ((FileWriter{1, "nginx", "nginx.service"}.workload()), "Unit/nginx.service");
  EXPECT_EQ((FileWriter{1, "app", ""}.workload()), "Process/app");
}

// A shell appending a line every 50 ms to `path` until killed.
class Writer {
 public:
  explicit Writer(const std::string& path) {
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", "exec >> \"$0\"; while :; do echo tick; sleep 0.05; done",
            path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Writer() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

class FileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("loupe-writer-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    log_ = (dir_ / "app.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  FileId id_of(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0);
    return {st.st_dev, st.st_ino};
  }
  static void wait_for_bytes(const std::string& path) {
    for (int i = 0; i < 200 && (!fs::exists(path) || fs::file_size(path) == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  fs::path dir_;
  std::string log_;
};

TEST_F(FileWriterTest, TheProcessWritingAFileIsFoundReadersAreNot) {
  Writer w(log_);
  wait_for_bytes(log_);
  std::ifstream reader(log_);  // this process only reads it
  std::string other = (dir_ / "quiet.log").string();
  std::ofstream(other) << "nobody writes me\n";
  auto found = find_file_writers({id_of(log_), id_of(other)}, 0);
  ASSERT_EQ(found.size(), 1u);
  const FileWriter& got = found.at(id_of(log_));
  EXPECT_EQ(got.pid, w.pid());
  EXPECT_EQ(got.comm, "sh");
}

TEST_F(FileWriterTest, TailerNamesEntriesAfterTheirWriter) {
  Writer w(log_);
  wait_for_bytes(log_);
  std::string orphan = (dir_ / "orphan.log").string();
  std::ofstream(orphan) << "written before\n";
  LogTailer t(TailerOptions{.globs = {(dir_ / "*.log").string()}}, {});
  uint64_t now = 1'800'000'000'000'000'000ULL;
  t.scan(now);
  std::vector<Entry> out;
  t.read(1 << 20, now, out);
  t.read(1 << 20, now + 2'000'000'000, out);  // idle entries complete
  ASSERT_FALSE(out.empty());
  bool saw_tick = false, saw_orphan = false;
  for (const Entry& e : out) {
    if (e.text == "tick") {
      saw_tick = true;
      EXPECT_TRUE(e.workload == "Process/sh" || e.workload.starts_with("Unit/")) << e.workload;
      EXPECT_EQ(e.file, log_);
    } else {
      saw_orphan = true;
      EXPECT_EQ(e.workload, "");  // no writer: known by its file
      EXPECT_EQ(e.file, orphan);
    }
  }
  EXPECT_TRUE(saw_tick && saw_orphan);
}

}  // namespace
}  // namespace loupe::logs
