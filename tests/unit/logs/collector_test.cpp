#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "agent/logs/log_collector.h"

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

// A receiver that refuses the first batches, then keeps each entry once by
// (source, offset), as the store does.
struct Receiver {
  std::mutex mu;
  std::set<std::pair<std::string, uint64_t>> keys;
  std::vector<std::string> texts;
  int refuse = 3;
  int duplicates = 0;

  Deliver deliver() {
    return [this](std::vector<Entry>& batch, std::string& error) {
      std::lock_guard lock(mu);
      if (refuse > 0) {
        --refuse;
        error = "server away";
        return false;
      }
      for (Entry& e : batch) {
        EXPECT_EQ(e.node, "node-1");
        if (keys.insert({e.source, e.offset}).second)
          texts.push_back(e.text);
        else
          ++duplicates;
      }
      return true;
    };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return texts.size();
  }
};

bool wait_for(Receiver& r, size_t n) {
  for (int i = 0; i < 400 && r.count() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  return r.count() >= n;
}

TEST(LogCollector, RetriesRefusedBatchesAndResumesAfterRestart) {
  fs::path root = fs::temp_directory_path() / ("loupe-collector-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  std::string log = (root / "app.log").string();
  auto write = [&](int from, int to) {
    std::ofstream out(log, std::ios::app);
    for (int i = from; i < to; ++i) out << "line " << i << "\n";
  };
  CollectorOptions opts{.tailer = {.globs = {(root / "*.log").string()}},
                        .checkpoint_path = (root / "checkpoints.json").string(),
                        .node = "node-1",
                        .batch_entries = 100,
                        .flush_interval = std::chrono::milliseconds(20),
                        .scan_interval = std::chrono::milliseconds(20)};
  Receiver r;
  write(0, 1000);
  {
    LogCollector c(opts, r.deliver());
    ASSERT_TRUE(wait_for(r, 999));  // the last line waits for its idle flush or the stop
    write(1000, 1500);
    c.stop();
    EXPECT_EQ(c.status()["delivery_failures"], 3);
  }
  write(1500, 2000);
  {
    LogCollector c(opts, r.deliver());
    ASSERT_TRUE(wait_for(r, 2000));  // the last line after its idle flush
    c.stop();
  }
  ASSERT_EQ(r.texts.size(), 2000u);
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(r.texts[static_cast<size_t>(i)], "line " + std::to_string(i));
  fs::remove_all(root);
}

TEST(LogCollector, DamagedCheckpointFileIsAnError) {
  fs::path file = fs::temp_directory_path() / ("loupe-bad-checkpoint-" + std::to_string(getpid()));
  std::ofstream(file) << "{not json";
  CollectorOptions opts{.checkpoint_path = file.string()};
  EXPECT_THROW(LogCollector(opts, [](std::vector<Entry>&, std::string&) { return true; }),
               std::runtime_error);
  fs::remove(file);
}

}  // namespace
}  // namespace loupe::logs
