#include "agent/profile/proc_maps.h"

#include <gtest/gtest.h>

namespace loupe::profile {
namespace {

constexpr std::string_view kMaps =
    "55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234    /usr/bin/app\n"
    "55d0c0a01000-55d0c0a05000 r-xp 00001000 08:01 1234    /usr/bin/app\n"
    "7f0000000000-7f0000100000 r-xp 00028000 08:01 99      /usr/lib/libc.so.6\n"
    "7f0000200000-7f0000201000 r-xp 00000000 00:00 0 \n"
    "7f0000300000-7f0000301000 r-xp 00002000 08:01 77      /tmp/old build (deleted)\n"
    "7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0       [vdso]\n"
    "garbage line\n"
    "ffff-1000 r-xp 00000000 00:00 0 /backwards\n";

TEST(ProcMaps, KeepsExecutableMappingsWithOffsetsAndPaths) {
  uint64_t malformed = 0;
  auto maps = parse_proc_maps(kMaps, &malformed);
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(malformed, 2u);
  EXPECT_EQ(maps[0].path, "/usr/bin/app");
  EXPECT_EQ(maps[0].offset, 0x1000u);
  EXPECT_EQ(maps[0].file_offset(0x55d0c0a01234), 0x1234u);
  EXPECT_EQ(maps[2].path, "");  // anonymous (JIT code, for instance)
  EXPECT_EQ(maps[3].path, "/tmp/old build");
  EXPECT_TRUE(maps[3].deleted);
  EXPECT_EQ(maps[4].path, "[vdso]");
}

TEST(ProcMaps, FindsTheMappingOfAnAddress) {
  auto maps = parse_proc_maps(kMaps);
  ASSERT_NE(find_mapping(maps, 0x7f0000000010), nullptr);
  EXPECT_EQ(find_mapping(maps, 0x7f0000000010)->path, "/usr/lib/libc.so.6");
  EXPECT_EQ(find_mapping(maps, 0x7f0000100000), nullptr);  // end is exclusive
  EXPECT_EQ(find_mapping(maps, 0x55d0c0a00010), nullptr);  // not executable
  EXPECT_EQ(find_mapping(maps, 1), nullptr);
}

TEST(ProcMaps, EmptyAndTruncatedInputGiveNothing) {
  EXPECT_TRUE(parse_proc_maps("").empty());
  uint64_t malformed = 0;
  EXPECT_TRUE(parse_proc_maps("55d0c0a01000-55d0c0a05000 r-x", &malformed).empty());
  EXPECT_EQ(malformed, 1u);
}

}  // namespace
}  // namespace loupe::profile
