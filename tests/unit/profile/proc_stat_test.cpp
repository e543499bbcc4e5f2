#include "agent/profile/proc_stat.h"

#include <gtest/gtest.h>

namespace loupe::profile {
namespace {

// A real line (cat's), its name replaced by one with spaces and parentheses.
constexpr std::string_view kStat =
    "7810 (my (odd) name) R 7803 7803 19995 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 8220343 "
    "3133440 390 18446744073709551615 94479805030400 94479805050281 140725791798480 0 0 0 0 0 0 "
    "0 0 0 17 1 0 0 0 0 0 94479805066288 94479805067904 94480754196480 140725791803830 "
    "140725791803850 140725791803850 140725791805419 0\n";

TEST(ProcStat, ReadsTheNameAndWhatTellsItsMemoryApart) {
  auto st = parse_proc_stat(kStat);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "my (odd) name");
  EXPECT_EQ(st->start_time, 8220343u);
  EXPECT_EQ(st->vsize, 3133440u);
  EXPECT_EQ(st->arg_start, 140725791803830u);
}

TEST(ProcStat, TheSameMemoryUntilAMappingOrAnExecChangesIt) {
  ProcStat a = *parse_proc_stat(kStat);
  ProcStat b = a;
  EXPECT_TRUE(a.same_memory(b));
  b.vsize += 4096;  // dlopen
  EXPECT_FALSE(a.same_memory(b));
  b = a;
  b.arg_start += 16;  // exec
  EXPECT_FALSE(a.same_memory(b));
  b = a;
  b.start_time += 1;  // another process, the same pid
  EXPECT_FALSE(a.same_memory(b));
  b = a;
  b.comm = "renamed";  // a name is not memory
  EXPECT_TRUE(a.same_memory(b));
}

TEST(ProcStat, OlderKernelsWithoutArgStartAndBadTextAreHandled) {
  auto short_line = parse_proc_stat(
      "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 12 "
      "1000 50 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17\n");
  ASSERT_TRUE(short_line);
  EXPECT_EQ(short_line->start_time, 12u);
  EXPECT_EQ(short_line->vsize, 1000u);
  EXPECT_EQ(short_line->arg_start, 0u);
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("12 (cut short) S 1 2"));
  EXPECT_FALSE(parse_proc_stat("no parentheses at all"));
  EXPECT_FALSE(
      parse_proc_stat("1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 notanumber 1000 50\n"));
}

}  // namespace
}  // namespace loupe::profile
