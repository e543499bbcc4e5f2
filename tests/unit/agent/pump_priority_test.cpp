#include "agent/pump_priority.h"

#include <gtest/gtest.h>

#include <vector>

namespace loupe {
namespace {

constexpr uint64_t kRing = 8 << 20;  // the default ring buffer

struct Recorder {
  std::vector<int> calls;
  bool allow = true;
  PumpPriority::SetNice setter() {
    return [this](int nice) {
      calls.push_back(nice);
      return allow;
    };
  }
};

TEST(PumpPriority, RaisedPastAnEighthOfTheRingAndRestoredOnceCaughtUp) {
  Recorder r;
  PumpPriority p(0, -10, kRing, r.setter());
  p.update(0);
  p.update(kRing / 8 - 1);
  EXPECT_TRUE(r.calls.empty());  // below an eighth: the process's own priority
  p.update(kRing / 8);
  EXPECT_TRUE(p.boosted());
  p.update(kRing / 2);
  p.update(kRing / 16);  // draining, not caught up yet: keeps it
  EXPECT_TRUE(p.boosted());
  p.update(kRing / 64 - 1);
  EXPECT_FALSE(p.boosted());
  EXPECT_EQ(r.calls, (std::vector<int>{-10, 0}));  // one call per change, not per check
  p.update(kRing);
  EXPECT_EQ(p.boosts(), 2u);
}

TEST(PumpPriority, RestoresTheThreadsOwnNice) {
  Recorder r;
  PumpPriority p(5, -10, kRing, r.setter());
  p.update(kRing);
  p.update(0);
  EXPECT_EQ(r.calls, (std::vector<int>{-10, 5}));
}

TEST(PumpPriority, ZeroMeansNeverTouched) {
  Recorder r;
  PumpPriority p(0, 0, kRing, r.setter());
  p.update(kRing);
  p.update(0);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_FALSE(p.boosted());
}

TEST(PumpPriority, ARefusalStopsFurtherTries) {
  Recorder r;
  r.allow = false;  // no CAP_SYS_NICE
  PumpPriority p(0, -10, kRing, r.setter());
  p.update(kRing);
  EXPECT_TRUE(p.refused());
  EXPECT_FALSE(p.boosted());
  p.update(0);
  p.update(kRing);
  EXPECT_EQ(r.calls.size(), 1u);  // no syscall per check after a refusal
}

}  // namespace
}  // namespace loupe
