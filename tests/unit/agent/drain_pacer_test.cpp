#include "agent/drain_pacer.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

constexpr uint64_t kTarget = 128 << 10;  // a sixty-fourth of the default ring

TEST(DrainPacer, StartsAtTheShortestWait) {
  DrainPacer p(5, 50, kTarget);
  EXPECT_EQ(p.wait_ms(), 5);
}

TEST(DrainPacer, SizesTheWaitForTheTargetAtTheRateSeen) {
  DrainPacer p(5, 50, kTarget);
  // 32 KiB in 5 ms (a paced 10k req/s): 128 KiB in 20 ms, reached by doubling.
  EXPECT_EQ(p.next_wait_ms(32 << 10, 5.0), 10);
  EXPECT_EQ(p.next_wait_ms(64 << 10, 10.0), 20);
  EXPECT_EQ(p.next_wait_ms(128 << 10, 20.0), 20);  // steady
}

TEST(DrainPacer, UnderLoadKeepsTheShortestWait) {
  DrainPacer p(5, 50, kTarget);
  EXPECT_EQ(p.next_wait_ms(1 << 20, 5.0), 5);  // 1 MiB in 5 ms: below the floor
  EXPECT_EQ(p.next_wait_ms(kTarget, 5.0), 5);
}

TEST(DrainPacer, IdleGrowsByDoublingUpToTheLongest) {
  DrainPacer p(5, 50, kTarget);
  EXPECT_EQ(p.next_wait_ms(0, 5.0), 10);
  EXPECT_EQ(p.next_wait_ms(0, 10.0), 20);
  EXPECT_EQ(p.next_wait_ms(0, 20.0), 40);
  EXPECT_EQ(p.next_wait_ms(0, 40.0), 50);
  EXPECT_EQ(p.next_wait_ms(0, 50.0), 50);
}

TEST(DrainPacer, ABurstShortensTheWaitAtOnce) {
  DrainPacer p(5, 50, kTarget);
  for (int i = 0; i < 5; ++i) p.next_wait_ms(0, 50.0);
  ASSERT_EQ(p.wait_ms(), 50);
  // The kernel woke the pump early with 2 MiB unread after 12 ms.
  EXPECT_EQ(p.next_wait_ms(2 << 20, 12.0), 5);
}

TEST(DrainPacer, ADrainThatTookLongerThanItsWorkBudgetShortensTheWait) {
  DrainPacer p(5, 100, kTarget, 0.5);
  // 32 KiB every 40 ms: 160 ms by bytes; each drain 0.25 ms, within its
  // 0.5 ms budget: the longest wait, reached by doubling.
  for (int i = 0; i < 5; ++i) p.next_wait_ms(32 << 10, 40.0, 0.25);
  ASSERT_EQ(p.wait_ms(), 100);
  // The traffic turns dear to parse (pipelined commands): the drain of
  // the last 40 ms took 2 ms, so 10 ms of it fit in 0.5 ms.
  EXPECT_EQ(p.next_wait_ms(64 << 10, 100.0, 2.0), 10);
}

TEST(DrainPacer, WithoutAWorkBudgetOnlyBytesCount) {
  DrainPacer p(5, 100, kTarget);
  for (int i = 0; i < 5; ++i) p.next_wait_ms(32 << 10, 40.0, 50.0);
  EXPECT_EQ(p.wait_ms(), 100);
}

TEST(DrainPacer, MaxBelowMinIsMin) {
  DrainPacer p(5, 1, kTarget);
  EXPECT_EQ(p.next_wait_ms(0, 5.0), 5);
}

}  // namespace
}  // namespace loupe
