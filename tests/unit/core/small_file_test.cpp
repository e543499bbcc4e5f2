#include "core/small_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace loupe {
namespace {

TEST(SmallFile, ReadsAFileWholeWhateverItsSize) {
  std::string path = "/tmp/loupe-small-file-" + std::to_string(getpid());
  std::string text;
  for (int i = 0; text.size() < 100'000; ++i) text += "line " + std::to_string(i) + "\n";
  std::ofstream(path) << text;
  std::string out = "left from an earlier read";
  ASSERT_TRUE(read_small_file(path, out));
  EXPECT_EQ(out, text);
  std::ofstream(path) << "short";  // the buffer kept, the text as long as the file
  ASSERT_TRUE(read_small_file(path, out));
  EXPECT_EQ(out, "short");
  unlink(path.c_str());
}

TEST(SmallFile, ReadsWhatTheKernelWritesAsItIsRead) {
  std::string out;
  ASSERT_TRUE(read_small_file("/proc/self/maps", out));
  EXPECT_NE(out.find("r-xp"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

TEST(SmallFile, AProcessGoneIsFalse) {
  std::string out;
  EXPECT_FALSE(read_small_file("/proc/999999999/stat", out));
  EXPECT_TRUE(out.empty());
}

// A path given by mistake (a device that never ends) fails at the bound
// instead of growing without one.
TEST(SmallFile, AFileWithoutEndFailsAtTheBound) {
  std::string out;
  EXPECT_FALSE(read_small_file("/dev/zero", out));
  EXPECT_EQ(errno, EFBIG);
  EXPECT_TRUE(out.empty());
}

TEST(SmallFile, AsAValue) {
  EXPECT_EQ(read_small_file("/proc/999999999/stat"), std::nullopt);
  auto comm = read_small_file("/proc/self/comm");
  ASSERT_TRUE(comm.has_value());
  EXPECT_EQ(comm->back(), '\n');
}

}  // namespace
}  // namespace loupe
