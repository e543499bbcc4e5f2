#include "agent/profile/symbolizer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace loupe::profile {

// Out of the anonymous namespace and not inlined: the symbolizer must find
// it in this test binary's .symtab by its mangled name.
__attribute__((noinline)) int symbolizer_test_target(int x) { return x * 3 + 1; }

namespace {

uint64_t address_of_target() { return reinterpret_cast<uint64_t>(&symbolizer_test_target) + 4; }

std::string self_exe_bytes() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Symbolizer, NamesAFunctionOfThisProcessDemangled) {
  Symbolizer s;
  Frames out;
  s.add_user_frames(static_cast<uint32_t>(getpid()), {address_of_target()}, false, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "[truncated]");  // no main below it: the chain is incomplete
  EXPECT_EQ(out[1], "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().elf_loaded, 1u);
  EXPECT_EQ(s.counters().frames_unresolved, 0u);
}

TEST(Symbolizer, ReadsEachBinaryOncePerBuildId) {
  Symbolizer s;
  Frames out;
  for (int i = 0; i < 3; ++i) {
    s.new_round();
    s.add_user_frames(static_cast<uint32_t>(getpid()), {address_of_target()}, false, out);
  }
  EXPECT_EQ(s.counters().elf_loaded, 1u);
  EXPECT_GT(s.counters().cache_bytes, 0u);
}

TEST(Symbolizer, NamesTheSameFrameAlikeEveryRound) {
  // The second and later rounds take the shown name from its cache.
  Symbolizer s;
  for (int i = 0; i < 3; ++i) {
    s.new_round();
    Frames out;
    s.add_user_frames(static_cast<uint32_t>(getpid()), {address_of_target(), address_of_target()},
                      false, out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[1], "loupe::profile::symbolizer_test_target(int)");
    EXPECT_EQ(out[2], out[1]);
  }
}

TEST(Symbolizer, StaysWithinItsByteBudget) {
  SymbolizerOptions opts;
  opts.cache_bytes = 1;  // less than any table: only the newest stays
  Symbolizer s(opts);
  Frames out;
  s.add_user_frames(static_cast<uint32_t>(getpid()), {address_of_target()}, false, out);
  EXPECT_EQ(out.back(), "loupe::profile::symbolizer_test_target(int)");
}

TEST(Symbolizer, AnExitedProcessIsCountedNotNamed) {
  Symbolizer s;
  Frames out;
  s.add_user_frames(0x7ffffff0, {0x401000, 0x401100}, false, out);  // no such pid
  EXPECT_EQ(out, Frames{"[process exited]"});
  EXPECT_EQ(s.counters().maps_unreadable, 1u);
  EXPECT_EQ(s.counters().frames_unresolved, 2u);
}

TEST(Symbolizer, UnmappedAddressesAreUnknownAndDeepStacksTruncated) {
  Symbolizer s;
  Frames out;
  s.add_user_frames(static_cast<uint32_t>(getpid()), {8, 16}, true, out);
  EXPECT_EQ(out, (Frames{"[truncated]", "[unknown]", "[unknown]"}));
}

TEST(Symbolizer, KernelFramesEndInK) {
  Symbolizer s;
  Frames out;
  s.add_kernel_frames({1, 2}, out);  // below any kernel symbol
  EXPECT_EQ(out, (Frames{"[unknown]_[k]", "[unknown]_[k]"}));
}

TEST(ElfSymbols, CorruptFilesAreRefusedOrReadPartly) {
  std::string error;
  EXPECT_FALSE(ElfSymbols::load(std::string_view("not an elf file"), &error));
  EXPECT_FALSE(error.empty());
  std::string exe = self_exe_bytes();
  ASSERT_GT(exe.size(), 4096u);
  auto whole = ElfSymbols::load(std::string_view(exe), &error);
  ASSERT_TRUE(whole);
  EXPECT_GT(whole->size(), 100u);
  EXPECT_FALSE(whole->id().empty());  // Debian's gcc links with --build-id
  // Cut short, or with its section table overwritten: never a crash.
  auto cut = ElfSymbols::load(std::string_view(exe).substr(0, 4096), &error);
  if (cut) {
    EXPECT_LE(cut->size(), whole->size());
  }
  std::string scribbled = exe;
  for (size_t i = 64; i < scribbled.size(); i += 97) scribbled[i] = static_cast<char>(i);
  auto bad = ElfSymbols::load(std::string_view(scribbled), &error);
  if (bad) (void)bad->lookup(0x1000);
}

}  // namespace
}  // namespace loupe::profile

namespace loupe::profile {
namespace {

// A process in a container: anonymous executable memory its runtime
// compiled, named by the JIT map it wrote as pid 7 of its namespace.
TEST(Symbolizer, JitCodeIsNamedFromThePerfMapOfTheProcesssOwnPid) {
  char dir_template[] = "/tmp/loupe-symbolizer-XXXXXX";
  std::string root = mkdtemp(dir_template);
  std::string proc = root + "/4242";
  ASSERT_EQ(system(("mkdir -p " + proc + "/root/tmp").c_str()), 0);
  std::ofstream(proc + "/maps") << "7f0000000000-7f0000100000 r-xp 00000000 00:00 0 \n";
  std::ofstream(proc + "/status") << "Name:\tnode\nNSpid:\t4242\t7\n";
  std::ofstream(proc + "/root/tmp/perf-7.map") << "7f0000001000 100 LazyCompile:*hotLoop x.js:1\n";
  Symbolizer s(SymbolizerOptions{.proc_root = root});
  Frames out;
  s.add_user_frames(4242, {0x7f0000001010, 0x7f0000050001}, false, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "[truncated]");
  EXPECT_EQ(out[1], "[unknown]");  // in the mapping, but not in the map: +0x50000
  EXPECT_EQ(out[2], "LazyCompile:*hotLoop x.js:1");
  EXPECT_EQ(s.counters().perf_maps_loaded, 1u);
  // Read once per round, and again only when the file changed.
  s.new_round();
  s.add_user_frames(4242, {0x7f0000001010}, false, out);
  EXPECT_EQ(s.counters().perf_maps_loaded, 1u);
  std::ofstream(proc + "/root/tmp/perf-7.map", std::ios::app)
      << "7f0000050000 10 JS:later x.js:2\n";
  s.new_round();
  Frames again;
  s.add_user_frames(4242, {0x7f0000050001}, false, again);
  EXPECT_EQ(again.back(), "JS:later x.js:2");
  EXPECT_EQ(s.counters().perf_maps_loaded, 2u);
  ASSERT_EQ(system(("rm -rf " + root).c_str()), 0);
}

}  // namespace
}  // namespace loupe::profile

namespace loupe::profile {
namespace {

// This test binary as process 4343 of a fake /proc, which then exits.
class ExitingProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/loupe-symbolizer-XXXXXX";
    root_ = mkdtemp(dir_template);
    proc_ = root_ + "/4343";
    ASSERT_EQ(system(("mkdir -p " + proc_ + " && ln -s / " + proc_ + "/root").c_str()), 0);
    std::ifstream maps("/proc/self/maps");
    std::stringstream text;
    text << maps.rdbuf();
    std::ofstream(proc_ + "/maps") << text.str();
  }
  void TearDown() override { ASSERT_EQ(system(("rm -rf " + root_).c_str()), 0); }
  static std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void exit_process() { ASSERT_EQ(system(("rm -rf " + proc_).c_str()), 0); }
  Frames name(Symbolizer& s) {
    Frames out;
    s.add_user_frames(4343, {address_of_target()}, false, out);
    return out;
  }

  std::string root_, proc_;
};

TEST_F(ExitingProcess, IsNamedWithTheMapsOfTheRoundBefore) {
  Symbolizer s(SymbolizerOptions{.proc_root = root_});
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  exit_process();
  s.new_round();
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().maps_unreadable, 0u);
  EXPECT_EQ(s.counters().elf_unreadable, 0u);
  // Two rounds after it was last read, it is gone.
  s.new_round();
  s.new_round();
  EXPECT_EQ(name(s), Frames{"[process exited]"});
}

TEST_F(ExitingProcess, RememberedBeforeItsFirstCollection) {
  Symbolizer s(SymbolizerOptions{.proc_root = root_});
  s.remember(4343);  // every module it maps: this binary, libc, ...
  uint64_t loaded = s.counters().elf_loaded;
  EXPECT_GE(loaded, 2u);
  exit_process();
  s.new_round();
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().elf_loaded, loaded);
}

TEST_F(ExitingProcess, ItsMapsAreReadAgainOnlyWhenItsMemoryChanged) {
  // /proc/4343/stat as the kernel writes it: name, start time (field 22),
  // bytes mapped (23), where its arguments start (48).
  auto write_stat = [this](uint64_t vsize) {
    std::ofstream(proc_ + "/stat")
        << "4343 (my test) S 1 4343 4343 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 777 " << vsize
        << " 50 18446744073709551615 1 2 3 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 4 5 6 140000 140010 "
           "140010 140100 0\n";
  };
  write_stat(1 << 20);
  Symbolizer s(SymbolizerOptions{.proc_root = root_});
  EXPECT_EQ(s.process_name(4343), "my test");
  EXPECT_EQ(s.counters().maps_read, 0u);  // a name alone (a kernel thread's) reads no maps
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().maps_read, 1u);
  for (int round = 0; round < 3; ++round) {  // the same memory: named from the maps kept
    s.new_round();
    EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  }
  EXPECT_EQ(s.counters().maps_read, 1u);
  write_stat(2 << 20);  // a library mapped (dlopen)
  s.new_round();
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().maps_read, 2u);
  // A round it was not sampled in: forgotten, read again when it is.
  s.new_round();
  s.new_round();
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
  EXPECT_EQ(s.counters().maps_read, 3u);
  // Its maps changed in a way stat does not show: read again within a minute.
  for (int round = 0; round < 12; ++round) {
    s.new_round();
    name(s);
  }
  EXPECT_EQ(s.counters().maps_read, 4u);
  exit_process();
  s.new_round();
  EXPECT_EQ(s.process_name(4343), "");
  EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");  // the round before's
}

// Frames are kept by file and offset across processes: the same offset of
// another file is that file's own frame, counted as unnamed every time.
TEST_F(ExitingProcess, TheSameOffsetOfAnotherFileIsNamedByThatFile) {
  std::vector<Mapping> maps = parse_proc_maps(read_text(proc_ + "/maps"));
  const Mapping* m = find_mapping(maps, address_of_target());
  ASSERT_NE(m, nullptr);
  std::string other = root_ + "/not-elf";
  std::ofstream(other) << "not an ELF file";
  char range[80];
  std::snprintf(range, sizeof range, "%llx-%llx r-xp %08llx 00:00 1 ",
                static_cast<unsigned long long>(m->start), static_cast<unsigned long long>(m->end),
                static_cast<unsigned long long>(m->offset));
  ASSERT_EQ(system(("mkdir -p " + root_ + "/4344 && ln -s / " + root_ + "/4344/root").c_str()), 0);
  std::ofstream(root_ + "/4344/maps") << range << other << "\n";
  char unnamed[80];
  std::snprintf(unnamed, sizeof unnamed, "not-elf+0x%llx",
                static_cast<unsigned long long>(m->file_offset(address_of_target())));
  Symbolizer s(SymbolizerOptions{.proc_root = root_});
  for (uint64_t round = 1; round <= 2; ++round) {
    EXPECT_EQ(name(s).back(), "loupe::profile::symbolizer_test_target(int)");
    Frames out;
    s.add_user_frames(4344, {address_of_target()}, false, out);
    EXPECT_EQ(out.back(), unnamed);
    EXPECT_EQ(s.counters().frames_unresolved, round);  // named from the cache, counted alike
    s.new_round();
  }
  EXPECT_EQ(s.counters().elf_unreadable, 1u);
}

TEST_F(ExitingProcess, UnseenBeforeItExitedIsCountedNotNamed) {
  Symbolizer s(SymbolizerOptions{.proc_root = root_});
  exit_process();
  EXPECT_EQ(name(s), Frames{"[process exited]"});
  EXPECT_EQ(s.counters().maps_unreadable, 1u);
}

}  // namespace
}  // namespace loupe::profile
