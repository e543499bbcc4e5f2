// The node sampler against a fake /proc: rates from two ticks, and bad lines
// counted and skipped.
#include "agent/metrics/node_sampler.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace loupe::metrics {
namespace {

namespace fs = std::filesystem;

class FakeProc {
 public:
  FakeProc() {
    std::string tmpl = (fs::temp_directory_path() / "loupe-proc-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    fs::create_directories(root_ + "/1/net");
  }
  ~FakeProc() { fs::remove_all(root_); }
  const std::string& root() const { return root_; }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(root_ + rel) << text;
  }

 private:
  std::string root_;
};

std::map<std::string, double> by_key(const std::vector<MetricSample>& v) {
  std::map<std::string, double> out;
  for (const auto& s : v) out[s.metric + (s.label.empty() ? "" : "/" + s.label)] = s.value;
  return out;
}

void write_counters(const FakeProc& p, uint64_t user, uint64_t idle, uint64_t rx_bytes,
                    uint64_t sectors_read) {
  p.write("/stat", "cpu  " + std::to_string(user) + " 0 100 " + std::to_string(idle) +
                       " 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\n"
                       "intr 1 2 3\n");
  p.write("/1/net/dev",
          "Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
          "errs drop fifo colls carrier compressed\n"
          "  eth0: " +
              std::to_string(rx_bytes) +
              " 10 1 0 0 0 0 0 5000 20 2 0 0 0 0 0\n"
              "bad line without enough fields: 1 2\n");
  p.write("/diskstats", "   8       0 sda 100 0 " + std::to_string(sectors_read) +
                            " 10 50 0 400 20 0 30 30 0 0 0 0\n"
                            "   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0 0 0 0 0\n");
}

TEST(NodeSampler, RatesFromTwoTicksAndLevels) {
  FakeProc p;
  long hz = sysconf(_SC_CLK_TCK);
  p.write("/meminfo",
          "MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n");
  p.write("/loadavg", "0.50 0.25 0.10 1/100 1234\n");
  p.write("/1/mounts", "");
  write_counters(p, 1000, 5000, 1000, 100);
  NodeSampler node("node-1", p.root());
  std::vector<MetricSample> first, second;
  node.sample(1, 1'000'000'000, first);
  // 10 s later: user +1.5 cores, idle +0.5 cores, 1 MB received, 2048 sectors read.
  write_counters(p, 1000 + static_cast<uint64_t>(15 * hz), 5000 + static_cast<uint64_t>(5 * hz),
                 1'001'000, 2148);
  node.sample(2, 11'000'000'000, second);
  auto s = by_key(second);
  EXPECT_NEAR(s["node_cpu_cores/user"], 1.5, 1e-9);
  EXPECT_NEAR(s["node_cpu_cores/idle"], 0.5, 1e-9);
  EXPECT_NEAR(s["node_cpu_usage_cores"], 1.5, 1e-9);
  EXPECT_EQ(s["node_cpu_count"], 2);
  EXPECT_EQ(s["node_memory_total_bytes"], 16000000.0 * 1024);
  EXPECT_EQ(s["node_memory_available_bytes"], 8000000.0 * 1024);
  EXPECT_EQ(s["node_load1"], 0.5);
  EXPECT_NEAR(s["node_network_receive_bytes_per_second/eth0"], 100000, 1e-6);
  EXPECT_NEAR(s["node_disk_read_bytes_per_second/sda"], 2048.0 * 512 / 10, 1e-6);
  EXPECT_FALSE(s.count("node_disk_read_bytes_per_second/loop0"));
  EXPECT_GE(node.stats().malformed, 2u);  // the bad /net/dev line, on each tick
  for (const auto& m : second) EXPECT_EQ(m.name, "node-1");
}

TEST(NodeSampler, GarbageFilesDoNotCrash) {
  FakeProc p;
  for (const char* f : {"/stat", "/meminfo", "/loadavg", "/1/net/dev", "/diskstats", "/1/mounts"})
    p.write(f, "cpu x y z\n::::\n\xff\xfe garbage 18446744073709551616\n");
  NodeSampler node("n", p.root());
  std::vector<MetricSample> out;
  node.sample(1, 1, out);
  node.sample(2, 2, out);
  EXPECT_GT(node.stats().malformed, 0u);
}

}  // namespace
}  // namespace loupe::metrics
