// RecentSlots (core/recent_slots.h): an entry is found by its hash while
// it is one of the two last used of its candidate slots; a third entry of
// the same two slots replaces the one used longer ago.
#include "core/recent_slots.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

TEST(RecentSlots, KeepsTwoEntriesOfOneHashAndDropsTheOneUsedLongerAgo) {
  RecentSlots<int, 8> slots;  // 0: empty
  auto find = [&](uint64_t hash, int v) {
    int* e = slots.find(hash, [v](int x) { return x == v; });
    return e ? *e : 0;
  };
  const uint64_t hash = (uint64_t{5} << 32) | 2;  // slots 2 and 5
  EXPECT_EQ(find(hash, 1), 0);
  slots.replace(hash) = 1;
  slots.replace(hash) = 2;  // the other slot: both kept
  EXPECT_EQ(find(hash, 1), 1);
  EXPECT_EQ(find(hash, 2), 2);
  EXPECT_EQ(find(hash, 1), 1);  // 1 now used last
  slots.replace(hash) = 3;      // replaces 2
  EXPECT_EQ(find(hash, 2), 0);
  EXPECT_EQ(find(hash, 1), 1);
  EXPECT_EQ(find(hash, 3), 3);
  // Another hash sharing one slot (5) finds only what is its own.
  const uint64_t other = (uint64_t{7} << 32) | 5;
  EXPECT_EQ(find(other, 4), 0);
  slots.replace(other) = 4;
  EXPECT_EQ(find(other, 4), 4);
}

}  // namespace
}  // namespace loupe
