#include "core/burst_yield.h"

#include <gtest/gtest.h>

#include <thread>

namespace loupe {
namespace {

using namespace std::chrono_literals;

BurstYield::Clock::time_point fake_now;
int fake_yields = 0;
BurstYield::Clock::time_point now() { return fake_now; }
void yield() { ++fake_yields; }

// `steps` steps of `each` apiece.
void run(BurstYield& y, int steps, std::chrono::nanoseconds each) {
  for (int i = 0; i < steps; ++i) {
    fake_now += each;
    y.step();
  }
}

class BurstYieldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_now = BurstYield::Clock::time_point(1h);
    fake_yields = 0;
  }
};

TEST_F(BurstYieldTest, YieldsOncePerBudgetOfSteadyWork) {
  BurstYield y(200us, now, yield);
  run(y, 10'000, 1us);  // 10 ms of 1 µs steps
  // The clock is read every 16 steps: a yield every 208 µs.
  EXPECT_GE(fake_yields, 45);
  EXPECT_LE(fake_yields, 50);
  EXPECT_EQ(y.yields(), static_cast<uint64_t>(fake_yields));
}

TEST_F(BurstYieldTest, ShortBurstsBetweenWaitsNeverYield) {
  BurstYield y(200us, now, yield);
  for (int round = 0; round < 100; ++round) {
    run(y, 150, 1us);  // 150 µs of work, then
    fake_now += 5ms;   // the thread waits
  }
  EXPECT_EQ(fake_yields, 0);
}

TEST_F(BurstYieldTest, ABurstStartsAfterTheThreadWasOffTheCpu) {
  BurstYield y(200us, now, yield);
  run(y, 180, 1us);
  fake_now += 1ms;  // preempted
  run(y, 180, 1us);
  EXPECT_EQ(fake_yields, 0);
  run(y, 40, 1us);  // 220 µs since it came back
  EXPECT_EQ(fake_yields, 1);
}

TEST(BurstPoint, OnlyAThreadThatInstalledOneYields) {
  fake_yields = 0;
  fake_now = BurstYield::Clock::time_point(1h);
  BurstYield y(200us, now, yield);
  std::thread other([] {
    for (int i = 0; i < 1000; ++i) {
      fake_now += 1us;
      burst_point();
    }
  });
  other.join();
  EXPECT_EQ(fake_yields, 0);
  install_burst_yield(&y);
  for (int i = 0; i < 1000; ++i) {
    fake_now += 1us;
    burst_point();
  }
  install_burst_yield(nullptr);
  EXPECT_GE(fake_yields, 4);
}

}  // namespace
}  // namespace loupe
