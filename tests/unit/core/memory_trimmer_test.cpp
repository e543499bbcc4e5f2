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

TEST(MemoryTrimmer, TrimsEveryInterval) {
  MemoryTrimmer trimmer(std::chrono::milliseconds(10));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (trimmer.stats().trims < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(trimmer.stats().trims, 3u);
}

}  // namespace
}  // namespace loupe
