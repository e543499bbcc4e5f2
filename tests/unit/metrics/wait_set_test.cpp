#include "agent/metrics/wait_set.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "agent/metrics/metrics_sampler.h"

namespace loupe::metrics {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST(WaitSet, StopWakesAWaitWithoutTimeout) {
  WaitSet w;
  auto start = Clock::now();
  std::thread waiter([&] { w.wait(-1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.stop();
  waiter.join();
  EXPECT_LT(ms_since(start), 5000);
  w.wait(-1);  // and every wait after it returns at once
}

TEST(WaitSet, AReadableFdWakesIt) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  WaitSet w;
  ASSERT_TRUE(w.add(fd));
  auto start = Clock::now();
  w.wait(50);
  EXPECT_GE(ms_since(start), 40) << "nothing readable: the timeout";
  uint64_t one = 1;
  ASSERT_EQ(write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  start = Clock::now();
  w.wait(10'000);
  EXPECT_LT(ms_since(start), 5000);
  close(fd);
}

// Between ticks the thread sleeps until the next one: stop() must wake it.
TEST(MetricsSampler, StopsAtOnceBetweenTicks) {
  MetricsOptions opts;
  opts.interval = std::chrono::hours(1);
  opts.proc_root = "/nonexistent";
  opts.trace_oom = false;
  opts.trace_tcp = false;
  MetricsSampler sampler(opts, [](std::vector<MetricSample>&, std::vector<OomKill>&) {});
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the first tick
  auto start = Clock::now();
  sampler.stop();
  EXPECT_LT(ms_since(start), 5000);
}

}  // namespace
}  // namespace loupe::metrics
