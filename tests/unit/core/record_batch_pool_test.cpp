#include "core/record_batch_pool.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <set>
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
  pool.give(batch_of(2000));  // a batch that full came back recently
  pool.take(0);
  // 1,900 records' room (~200 pages): refilled without faulting it in again.
  const size_t room_pages = 1900 * sizeof(Record) / static_cast<size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_GT(resident_after_burst(pool, 2000, 100), room_pages * 9 / 10);
}

TEST(RecordBatchPool, OverTheBudgetKeepsOnlyTheLastFillsRoom) {
  RecordBatchPool pool(/*max_spares=*/64, /*max_records=*/1000);
  EXPECT_EQ(resident_after_burst(pool, 2000, 100), 0u);
}

// Batches that hold what 50 ms bring after a burst faulted in more: the
// room past the recent batches' fullest goes back, once no batch of the
// window before needed it either.
TEST(RecordBatchPool, RoomNoRecentBatchNeededIsReleased) {
  RecordBatchPool::Clock::time_point now{};
  RecordBatchPool pool(64, 1'000'000, std::chrono::seconds(2), [&now] { return now; });
  pool.give(batch_of(2000));  // the burst's window
  now += std::chrono::seconds(2);
  pool.take(0);  // ends it
  const size_t room_pages = 1900 * sizeof(Record) / static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // The window after: the burst's fill is still recent.
  EXPECT_GT(resident_after_burst(pool, 2000, 100), room_pages * 9 / 10);
  now += std::chrono::seconds(2);
  pool.take(0);  // ends it: its batches held 100 records
  EXPECT_EQ(resident_after_burst(pool, 2000, 100), 0u);
}

// A pool on a clock the test moves.
struct ClockedPool {
  RecordBatchPool::Clock::time_point now{};
  RecordBatchPool pool{64, 1'000'000, std::chrono::seconds(2), [this] { return now; }};
  void pass(std::chrono::milliseconds d) { now += d; }
};

// The writer gives a round's vectors back at once and the pump takes them
// one at a time until the next round: every vector cycles, none is freed.
TEST(RecordBatchPool, VectorsTheRoundsCycleAreKept) {
  ClockedPool c;
  std::vector<std::vector<Record>> held;
  for (int i = 0; i < 4; ++i) held.push_back(batch_of(10));
  std::set<const Record*> memory;
  for (auto& b : held) memory.insert(b.data());
  for (int round = 0; round < 40; ++round) {  // 8 s of 200 ms rounds
    for (auto& b : held) c.pool.give(std::move(b));
    held.clear();
    for (int i = 0; i < 4; ++i) {
      c.pass(std::chrono::milliseconds(50));
      held.push_back(c.pool.take(10));
      held.back().resize(10);
    }
  }
  std::set<const Record*> now;
  for (auto& b : held) now.insert(b.data());
  EXPECT_EQ(now, memory);
  EXPECT_EQ(c.pool.stats().released, 0u);
}

// A burst gave back more vectors than the rounds then needed: those the
// pump never got to within a window are freed, the longest unused first.
TEST(RecordBatchPool, SparesNotTakenForAWindowAreFreed) {
  ClockedPool c;
  std::vector<const Record*> burst;
  for (int i = 0; i < 6; ++i) {
    std::vector<Record> b = batch_of(10);
    burst.push_back(b.data());
    c.pool.give(std::move(b));
  }
  // The window the burst arrived in ends; then a whole window in which the
  // pump takes and gives back one vector at a time: 5 spares never taken.
  c.pass(std::chrono::seconds(2));
  std::vector<Record> cycling = c.pool.take(10);
  EXPECT_EQ(cycling.data(), burst.back());
  for (int i = 0; i < 41; ++i) {
    c.pass(std::chrono::milliseconds(50));
    c.pool.give(std::move(cycling));
    cycling = c.pool.take(10);
  }
  RecordBatchPoolStats s = c.pool.stats();
  EXPECT_EQ(s.released, 5u);
  EXPECT_EQ(s.spares, 0u);
  EXPECT_EQ(s.spare_records, 0u);
  EXPECT_EQ(cycling.data(), burst.back());  // the one in use stays
  c.pool.give(std::move(cycling));
  EXPECT_EQ(c.pool.take(0).data(), burst.back());
}

// A window without takes (no traffic) frees nothing at its end: the fewest
// held counts from the window's start.
TEST(RecordBatchPool, AWindowStartedEmptyFreesNothing) {
  ClockedPool c;
  for (int i = 0; i < 3; ++i) c.pool.give(batch_of(10));
  c.pass(std::chrono::seconds(10));
  std::vector<Record> taken = c.pool.take(0);
  EXPECT_EQ(taken.capacity(), 10u);
  EXPECT_EQ(c.pool.stats().released, 0u);
  EXPECT_EQ(c.pool.stats().spares, 2u);
}

}  // namespace
}  // namespace loupe
