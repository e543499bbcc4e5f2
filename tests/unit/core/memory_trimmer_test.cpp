#include "core/memory_trimmer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define LOUPE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOUPE_ASAN 1
#endif
#endif

namespace loupe {
namespace {

// A thread's freed memory below a chunk still in use stays in its arena
// (glibc returns an arena's memory only from its top): what the trimmer is
// for.
TEST(MemoryTrimmer, ReturnsFreedArenaMemoryToTheSystem) {
#ifdef LOUPE_ASAN
  GTEST_SKIP() << "ASan's allocator replaces glibc's arenas (LOUPE_SANITIZE)";
#endif
  constexpr size_t kBlocks = 48 * 1024, kBlock = 1024;  // 48 MiB, below the mmap threshold
  std::unique_ptr<char[]> kept;
  std::thread([&] {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (size_t i = 0; i < kBlocks; ++i) {
      blocks.emplace_back(new char[kBlock]);
      std::memset(blocks.back().get(), 1, kBlock);  // resident
    }
    kept.reset(new char[kBlock]);  // above them: the arena's top stays in use
    blocks.clear();
  }).join();
  MemoryTrimmer trimmer(std::chrono::hours(1));  // no periodic trim during the test
  trimmer.trim();
  MemoryTrimStats s = trimmer.stats();
  EXPECT_EQ(s.trims, 1u);
  EXPECT_GE(s.released_bytes, 32u << 20);
}

TEST(MemoryTrimmer, TrimsAgainWhileTrimsGiveLittleBack) {
  MemoryTrimmer trimmer(std::chrono::milliseconds(10), std::chrono::milliseconds(40));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (trimmer.stats().trims < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(trimmer.stats().trims, 3u);
}

using std::chrono::milliseconds;
constexpr uint64_t kMiB = 1 << 20;

TEST(TrimSchedule, TrimsThatGiveLittleBackComeLessOftenUpToTheLongestWait) {
  TrimSchedule s(milliseconds(5000), milliseconds(40000));
  EXPECT_TRUE(s.due(30 * kMiB, milliseconds(5000)));  // the first, one interval after the start
  s.trimmed(30 * kMiB, 30 * kMiB);  // the heap grew from nothing: the next in one interval
  EXPECT_EQ(s.wait(), milliseconds(5000));
  for (int expected : {10000, 20000, 40000, 40000}) {
    EXPECT_FALSE(s.due(30 * kMiB, s.wait() - milliseconds(1)));
    EXPECT_TRUE(s.due(30 * kMiB, s.wait()));
    s.trimmed(30 * kMiB, 30 * kMiB - kMiB / 2);
    EXPECT_EQ(s.wait(), milliseconds(expected));
  }
}

TEST(TrimSchedule, ATrimThatGivesBackBringsTheIntervalBack) {
  TrimSchedule s(milliseconds(5000), milliseconds(40000));
  s.trimmed(30 * kMiB, 30 * kMiB);
  s.trimmed(30 * kMiB, 30 * kMiB);
  s.trimmed(30 * kMiB, 30 * kMiB);
  EXPECT_EQ(s.wait(), milliseconds(20000));
  s.trimmed(30 * kMiB, 28 * kMiB);
  EXPECT_EQ(s.wait(), milliseconds(5000));
}

// A burst that is still in use when the trim comes gives nothing back;
// the trims after it must come every interval to hand it back once freed.
TEST(TrimSchedule, GrownResidentMemoryCallsForATrimAtOnceAndTheIntervalBack) {
  TrimSchedule s(milliseconds(5000), milliseconds(40000));
  for (int i = 0; i < 4; ++i) s.trimmed(30 * kMiB, 30 * kMiB);
  EXPECT_EQ(s.wait(), milliseconds(40000));
  EXPECT_FALSE(s.due(30 * kMiB + kMiB / 2, milliseconds(5000)));  // jitter
  EXPECT_TRUE(s.due(40 * kMiB, milliseconds(5000)));
  s.trimmed(40 * kMiB, 40 * kMiB);  // all of it in use
  EXPECT_EQ(s.wait(), milliseconds(5000));
  EXPECT_FALSE(s.due(40 * kMiB, milliseconds(4999)));
  EXPECT_TRUE(s.due(40 * kMiB, milliseconds(5000)));
}

}  // namespace
}  // namespace loupe
