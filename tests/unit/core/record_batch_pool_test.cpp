#include "core/record_batch_pool.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
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

// Resident pages among the whole pages of [begin, end).
size_t resident_pages(const void* begin, const void* end) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t b = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  uintptr_t e = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
  if (e <= b) return 0;
  std::vector<unsigned char> in((e - b) / page);
  if (mincore(reinterpret_cast<void*>(b), e - b, in.data()) != 0) return SIZE_MAX;
  size_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return n;
}

// A vector that held `burst` records and then `fill`, given back to `pool`
// and taken again: the resident pages of its room past the fill.
size_t resident_after_burst(RecordBatchPool& pool, size_t burst, size_t fill) {
  std::vector<Record> b = batch_of(burst);  // faults in the room of `burst`
  b.resize(fill);
  const Record* data = b.data();
  pool.give(std::move(b));
  std::vector<Record> again = pool.take(burst);
  EXPECT_EQ(again.data(), data);  // kept: the same memory
  size_t resident = resident_pages(again.data() + fill, again.data() + again.capacity());
  // Released room comes back zeroed and usable.
  for (size_t i = 0; i < burst; ++i) again.emplace_back().method = "GET";
  EXPECT_EQ(again.back().method, "GET");
  return resident;
}

TEST(RecordBatchPool, KeepsABurstsRoomWithinTheBudget) {
  RecordBatchPool pool(/*max_spares=*/64, /*max_records=*/4000);
  // 1,900 records' room (~200 pages): refilled without faulting it in again.
  const size_t room_pages = 1900 * sizeof(Record) / static_cast<size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_GT(resident_after_burst(pool, 2000, 100), room_pages * 9 / 10);
}

TEST(RecordBatchPool, OverTheBudgetKeepsOnlyTheLastFillsRoom) {
  RecordBatchPool pool(/*max_spares=*/64, /*max_records=*/1000);
  EXPECT_EQ(resident_after_burst(pool, 2000, 100), 0u);
}

}  // namespace
}  // namespace loupe
