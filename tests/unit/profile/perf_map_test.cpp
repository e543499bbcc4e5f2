#include "agent/profile/perf_map.h"

#include <gtest/gtest.h>

namespace loupe::profile {
namespace {

TEST(PerfMap, NamesAddressesInsideEachFunction) {
  uint64_t malformed = 0;
  PerfMap m = PerfMap::parse(
      "7f00001000 40 LazyCompile:*hotLoop /app/x.js:3\n"
      "0x7f00002000 0x10 Builtin:ArgumentsAdaptorTrampoline\n"
      "7f00003000 8 JS:~cold /app/x.js:9\r\n",
      &malformed);
  EXPECT_EQ(malformed, 0u);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.lookup(0x7f00001000), "LazyCompile:*hotLoop /app/x.js:3");
  EXPECT_EQ(m.lookup(0x7f0000103f), "LazyCompile:*hotLoop /app/x.js:3");
  EXPECT_EQ(m.lookup(0x7f00001040), "");  // one past its end
  EXPECT_EQ(m.lookup(0x7f00002008), "Builtin:ArgumentsAdaptorTrampoline");
  EXPECT_EQ(m.lookup(0x7f00003004), "JS:~cold /app/x.js:9");
  EXPECT_EQ(m.lookup(0x1000), "");
}

TEST(PerfMap, RecompiledCodeReplacesWhatWasAtItsAddress) {
  PerfMap m = PerfMap::parse(
      "1000 100 old\n"
      "1000 80 new\n"       // the same start, later: wins
      "1050 20 inside\n");  // overlaps: takes over from its start
  EXPECT_EQ(m.lookup(0x1010), "new");
  EXPECT_EQ(m.lookup(0x1055), "inside");
  EXPECT_EQ(m.lookup(0x1075), "");
}

TEST(PerfMap, MalformedLinesAreCountedAndSkipped) {
  uint64_t malformed = 0;
  PerfMap m = PerfMap::parse(
      "zz 10 bad-start\n"
      "1000 bad-size\n"
      "2000 0 empty-size\n"
      "3000 10\n"
      "ffffffffffffffff 10 wraps\n"
      "\n"
      "4000 10 good\n",
      &malformed);
  EXPECT_EQ(malformed, 5u);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.lookup(0x4001), "good");
}

TEST(PerfMap, KeepsOnlyTheNewestLinesOfAHugeMap) {
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += std::to_string(1000 + i * 16) + " 10 f" + std::to_string(i) + "\n";
  PerfMap m = PerfMap::parse(text, nullptr, 10);
  EXPECT_EQ(m.size(), 10u);
  EXPECT_EQ(m.lookup(0x1000), "");  // hex 1000: f0, dropped
}

}  // namespace
}  // namespace loupe::profile
