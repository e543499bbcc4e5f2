#include "core/record_batch_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace loupe {
namespace {

std::vector<Record> batch_of(size_t n) {
  std::vector<Record> b(n);
  for (Record& r : b) r.path = "/a/path/longer/than/the/short/string/buffer";
  return b;
}

TEST(RecordBatchPool, GivesBackTheSameMemoryEmpty) {
  RecordBatchPool pool;
  std::vector<Record> b = batch_of(100);
  const Record* memory = b.data();
  pool.give(std::move(b));
  std::vector<Record> again = pool.take(50);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.data(), memory);  // no new allocation: its pages are already there
  EXPECT_GE(again.capacity(), 100u);
}

TEST(RecordBatchPool, TakeWithoutSparesReservesTheCapacityAskedFor) {
  RecordBatchPool pool;
  std::vector<Record> b = pool.take(64);
  EXPECT_TRUE(b.empty());
  EXPECT_GE(b.capacity(), 64u);
}

TEST(RecordBatchPool, KeepsNoMoreThanItsBoundsAndNothingWithoutCapacity) {
  RecordBatchPool pool(/*max_spares=*/2, /*max_records=*/150);
  pool.give(std::vector<Record>{});  // no memory to keep
  pool.give(batch_of(100));
  pool.give(batch_of(100));  // over the record bound: freed
  pool.give(batch_of(10));
  pool.give(batch_of(10));  // over the count bound: freed
  std::vector<size_t> capacities;
  for (int i = 0; i < 3; ++i) capacities.push_back(pool.take(0).capacity());
  EXPECT_EQ(capacities[0], 10u);  // the last kept first
  EXPECT_EQ(capacities[1], 100u);
  EXPECT_EQ(capacities[2], 0u);  // nothing left: a new, empty vector
}

}  // namespace
}  // namespace loupe
