// Separate debug files: a program built here, split with binutils the way
// distributions split their packages (objcopy --only-keep-debug, strip,
// objcopy --add-gnu-debuglink), is named from its debug file found by build
// id or by debuglink inside a process's root, and a debug file of another
// build is refused.
#include "agent/profile/debug_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agent/profile/symbolizer.h"

namespace loupe::profile {
namespace {

constexpr uint32_t kPid = 4242;
constexpr uint64_t kMapStart = 0x7f0000000000;

int run(const std::string& cmd) { return std::system(cmd.c_str()); }

// A process root holding /opt/app/prog, stripped of everything but its
// exported symbols, and the debug file split off it (under `debug_path`,
// when given), as a fake /proc: proc/4242/{maps,root/}.
class SplitBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/loupe-debugfile-XXXXXX";
    dir_ = mkdtemp(dir_template);
    root_ = dir_ + "/proc/" + std::to_string(kPid) + "/root";
    ASSERT_EQ(run("mkdir -p " + root_ + "/opt/app"), 0);
    std::ofstream(dir_ + "/prog.c")
        << "static __attribute__((noinline)) int only_in_debug_file(int x) { return x * 7 + 3; }\n"
           "int main(int c, char** v) { (void)v; return only_in_debug_file(c); }\n";
    ASSERT_EQ(run("cd " + dir_ + " && gcc -O1 -g -Wl,--build-id -o prog prog.c"), 0);
    // Its address (gcc's layout maps file offsets to equal addresses).
    FILE* nm = popen(("nm " + dir_ + "/prog").c_str(), "r");
    char line[256];
    while (nm && fgets(line, sizeof line, nm))
      if (std::string_view(line).find(" only_in_debug_file") != std::string_view::npos)
        offset_ = std::stoull(line, nullptr, 16) + 4;
    if (nm) pclose(nm);
    ASSERT_NE(offset_, 0u);
    ASSERT_EQ(run("cd " + dir_ + " && objcopy --only-keep-debug prog prog.debug && " +
                  "strip --strip-debug --strip-unneeded -o stripped prog"),
              0);
    std::ofstream(dir_ + "/proc/" + std::to_string(kPid) + "/maps")
        << std::hex << kMapStart << "-" << kMapStart + 0x10000
        << " r-xp 00000000 08:01 1234 /opt/app/prog\n";
  }
  void TearDown() override { run("rm -rf " + dir_); }

  // Installs the stripped binary (with a debuglink to `link_name` if not
  // empty) and its debug file at `debug_path` in the process root.
  void install(const std::string& link_name, const std::string& debug_path) {
    std::string bin = root_ + "/opt/app/prog";
    ASSERT_EQ(run("cp " + dir_ + "/stripped " + bin), 0);
    if (!link_name.empty()) {
      ASSERT_EQ(run("cd " + dir_ + " && cp prog.debug " + link_name +
                    " && objcopy --add-gnu-debuglink=" + link_name + " " + bin),
                0);
    }
    std::string dest = root_ + debug_path;
    ASSERT_EQ(run("mkdir -p " + dest.substr(0, dest.rfind('/')) + " && cp " + dir_ +
                  "/prog.debug " + dest),
              0);
  }

  std::string build_id() {
    int fd = open((dir_ + "/prog").c_str(), O_RDONLY);
    std::string id = ElfSymbols::build_id(fd);
    close(fd);
    return id;
  }

  // The leaf frame's name of a sample at the function, and the counters.
  std::string name_sample(SymbolizerCounters* counters) {
    Symbolizer s(SymbolizerOptions{.proc_root = dir_ + "/proc"});
    Frames out;
    s.add_user_frames(kPid, {kMapStart + offset_}, false, out);
    *counters = s.counters();
    return out.back();
  }

  std::string dir_, root_;
  uint64_t offset_ = 0;
};

TEST_F(SplitBinary, TheStrippedBinaryAloneCannotNameIt) {
  std::string error;
  int fd = open((dir_ + "/stripped").c_str(), O_RDONLY);
  auto stripped = ElfSymbols::load(fd, &error);
  close(fd);
  ASSERT_TRUE(stripped);
  EXPECT_TRUE(stripped->wants_debug_file());
  EXPECT_EQ(stripped->lookup(offset_), "");
  EXPECT_EQ(stripped->id(), build_id());
}

TEST_F(SplitBinary, FoundByBuildIdUnderUsrLibDebug) {
  std::string id = build_id();
  ASSERT_GE(id.size(), 4u);
  install("", "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug");
  SymbolizerCounters c;
  EXPECT_EQ(name_sample(&c), "only_in_debug_file");
  EXPECT_EQ(c.debug_files.loaded, 1u);
  EXPECT_EQ(c.frames_unresolved, 0u);
}

TEST_F(SplitBinary, FoundByDebuglinkInEachPlaceGdbLooks) {
  for (std::string place : {"/opt/app/", "/opt/app/.debug/", "/usr/lib/debug/opt/app/"}) {
    SCOPED_TRACE(place);
    ASSERT_EQ(run("rm -rf " + root_ + "/opt/app/* " + root_ + "/opt/app/.debug " + root_ + "/usr"),
              0);
    install("prog.dbg", place + "prog.dbg");
    SymbolizerCounters c;
    EXPECT_EQ(name_sample(&c), "only_in_debug_file");
    EXPECT_EQ(c.debug_files.loaded, 1u);
  }
}

TEST_F(SplitBinary, ADebugFileOfAnotherBuildIsRefused) {
  install("prog.dbg", "/opt/app/.debug/prog.dbg");
  // Same name, other contents: the CRC in the debuglink no longer matches.
  std::ofstream(root_ + "/opt/app/.debug/prog.dbg", std::ios::app) << "rebuilt";
  SymbolizerCounters c;
  EXPECT_EQ(
      name_sample(&c), "prog+0x" + [&] {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(offset_));
        return std::string(buf);
      }());
  EXPECT_EQ(c.debug_files.loaded, 0u);
  EXPECT_EQ(c.debug_files.mismatched, 1u);
}

// A container's symlink to an absolute path resolves inside the
// container: the host's file of that path (here the real debug file,
// outside the process root) is not read.
TEST_F(SplitBinary, SymlinksResolveInsideTheProcesssRoot) {
  std::string id = build_id();
  std::string link = "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  install("", "/unused.debug");
  ASSERT_EQ(run("mkdir -p " + root_ + link.substr(0, link.rfind('/')) + " && ln -s " + dir_ +
                "/prog.debug " + root_ + link),
            0);
  SymbolizerCounters c;
  EXPECT_NE(name_sample(&c), "only_in_debug_file");
  EXPECT_EQ(c.debug_files.loaded, 0u);
  // The same link relative to the root is followed.
  ASSERT_EQ(run("ln -sf /unused.debug " + root_ + link), 0);
  EXPECT_EQ(name_sample(&c), "only_in_debug_file");
  EXPECT_EQ(c.debug_files.loaded, 1u);
}

TEST(DebugFileCandidates, InTheOrderGdbTriesThem) {
  auto c = debug_file_candidates("/usr/bin/prog", "abcdef01", DebugLink{"prog.debug", 1});
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].path, "/usr/lib/debug/.build-id/ab/cdef01.debug");
  EXPECT_TRUE(c[0].by_build_id);
  EXPECT_EQ(c[1].path, "/usr/bin/prog.debug");
  EXPECT_EQ(c[2].path, "/usr/bin/.debug/prog.debug");
  EXPECT_EQ(c[3].path, "/usr/lib/debug/usr/bin/prog.debug");
  // A hostile debuglink cannot leave the folders it names.
  EXPECT_TRUE(debug_file_candidates("/usr/bin/prog", "", DebugLink{"../../etc/shadow", 1}).empty());
  EXPECT_TRUE(debug_file_candidates("/usr/bin/prog", "", DebugLink{"..", 1}).empty());
  EXPECT_TRUE(debug_file_candidates("/usr/bin/prog", "ab", std::nullopt).empty());
}

TEST(DebugFileCrc, IsZlibsCrc32OfTheWholeFile) {
  char path[] = "/tmp/loupe-crc-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "123456789", 9), 9);
  EXPECT_EQ(file_crc32(fd), 0xcbf43926u);  // the CRC-32 check value
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace loupe::profile
