#include "agent/profile/proc_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace loupe::profile {
namespace {

TEST(ReadProcFile, ReadsAFileWholeWhateverItsSize) {
  std::string path = "/tmp/loupe-proc-file-" + std::to_string(getpid());
  std::string text;
  for (int i = 0; text.size() < 100'000; ++i) text += "line " + std::to_string(i) + "\n";
  std::ofstream(path) << text;
  std::string out = "left from an earlier read";
  ASSERT_TRUE(read_proc_file(path, out));
  EXPECT_EQ(out, text);
  std::ofstream(path) << "short";  // the buffer kept, the text as long as the file
  ASSERT_TRUE(read_proc_file(path, out));
  EXPECT_EQ(out, "short");
  unlink(path.c_str());
}

TEST(ReadProcFile, ReadsWhatTheKernelWritesAsItIsRead) {
  std::string out;
  ASSERT_TRUE(read_proc_file("/proc/self/maps", out));
  EXPECT_NE(out.find("r-xp"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

TEST(ReadProcFile, AProcessGoneIsFalse) {
  std::string out;
  EXPECT_FALSE(read_proc_file("/proc/999999999/stat", out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace loupe::profile
