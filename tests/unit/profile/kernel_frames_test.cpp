#include "agent/profile/kernel_frames.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "agent/profile/kernel_name_lookup.h"
#include "agent/profile/kernel_symbols.h"

namespace loupe::profile {
namespace {

TEST(KernelNameLookup, PrintedNamesReadAsKallsymsWritesThem) {
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("tcp_sendmsg"), "tcp_sendmsg");
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("nft_do_chain [nf_tables]"),
            "nft_do_chain [nf_tables]");
  // A JITed program and a trampoline: "%ps" prints them without kallsyms'
  // module.
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("bpf_prog_2a88b5ac22d01bbb_loupe_sys_exit"),
            "bpf_prog_2a88b5ac22d01bbb_loupe_sys_exit [bpf]");
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("bpf_prog_2a88b5ac22d01bbb"),
            "bpf_prog_2a88b5ac22d01bbb [bpf]");
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("bpf_trampoline_6442483215"),
            "bpf_trampoline_6442483215 [bpf]");
  // The kernel's own functions of those prefixes.
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("bpf_prog_realloc.cold"),
            "bpf_prog_realloc.cold");
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("bpf_trampoline_link_prog"),
            "bpf_trampoline_link_prog");
  // No symbol there: "%ps" prints the address.
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it("0xffffffffc0201004"), "");
  EXPECT_EQ(KernelNameLookup::as_kallsyms_names_it(""), "");
}

// The running kernel's names through its own lookup are those its
// /proc/kallsyms gives, when this test may load BPF programs (root).
TEST(KernelNameLookup, NamesAsTheRunningKernelsKallsyms) {
  auto lookup = KernelNameLookup::load();
  if (!lookup) GTEST_SKIP() << "the kernel refused the program (not root, or before 5.14)";
  KernelSymbols kallsyms = KernelSymbols::read("/proc/kallsyms");
  if (kallsyms.size() == 0) GTEST_SKIP() << "/proc/kallsyms hides its addresses";
  // A function's first and a later byte, for every 401st symbol and every
  // address of several names (memcpy and __memcpy), over several batches.
  std::vector<uint64_t> addrs;
  std::ifstream in("/proc/kallsyms");
  std::string line;
  uint64_t previous = 0;
  for (size_t i = 0; std::getline(in, line); ++i) {
    size_t space = line.find(' ');
    if (space + 1 >= line.size() ||
        std::string_view("tTwW").find(line[space + 1]) == std::string_view::npos)
      continue;  // not code (data past _etext is named by no function)
    uint64_t addr = std::stoull(line.substr(0, space), nullptr, 16);
    bool alias = addr == previous;
    previous = addr;
    if ((i % 401 != 0 && !alias) || kallsyms.lookup(addr).empty()) continue;
    addrs.push_back(addr);
    addrs.push_back(addr + 3);
  }
  ASSERT_GT(addrs.size(), 2u * 128);
  std::vector<std::string> names;
  ASSERT_TRUE(lookup->name(addrs, names));
  ASSERT_EQ(names.size(), addrs.size());
  size_t differ = 0;
  for (size_t i = 0; i < addrs.size(); ++i) {
    // kallsyms without the padding symbols (see KernelSymbols) names the
    // padding before a function by the function before it: never sampled.
    if (names[i].starts_with("__pfx_") || names[i].starts_with("__cfi_")) continue;
    if (names[i] != kallsyms.lookup(addrs[i])) {
      ADD_FAILURE() << std::hex << addrs[i] << ": " << names[i] << " against "
                    << kallsyms.lookup(addrs[i]);
      if (++differ > 5) break;
    }
  }
}

class KernelFramesFromAFile : public ::testing::Test {
 protected:
  void SetUp() override {
    int fd = mkstemp(path_);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path_) << "ffffffff81000000 T entry_SYSCALL_64\n"
                            "ffffffff81000100 t do_syscall_64\n"
                            "ffffffff81000200 T tcp_sendmsg\n"
                            "ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n";
  }
  void TearDown() override { unlink(path_); }
  char path_[32] = "/tmp/kernel_frames.XXXXXX";
};

TEST_F(KernelFramesFromAFile, NamesRootFirstCallersByTheirCall) {
  KernelFrames frames(path_, false);
  std::vector<std::string> out;
  // Leaf first: the leaf's own address, each caller's return address (the
  // one after its call: a call that ends a function returns past it).
  EXPECT_EQ(frames.add({0xffffffff81000200, 0xffffffff81000200, 0xffffffff81000100, 0x10}, out),
            1u);
  EXPECT_EQ(out, (std::vector<std::string>{"[unknown]_[k]", "entry_SYSCALL_64_[k]",
                                           "do_syscall_64_[k]", "tcp_sendmsg_[k]"}));
}

TEST_F(KernelFramesFromAFile, ExpectedStacksAreNamedAsOnesNotExpected) {
  std::vector<std::vector<uint64_t>> stacks = {
      {0xffffffff81000210, 0xffffffff81000101},
      {0xffffffffc0a01010, 0xffffffff81000210, 0xffffffff81000101},
      {0xffffffff81000210, 0xffffffff81000101},
  };
  KernelFrames expected(path_, false), asked(path_, false);
  for (const auto& s : stacks) expected.expect(s);
  for (const auto& s : stacks) {
    std::vector<std::string> a, b;
    EXPECT_EQ(expected.add(s, a), asked.add(s, b));
    EXPECT_EQ(a, b);
  }
  std::vector<std::string> out;
  expected.add(stacks[1], out);
  EXPECT_EQ(out, (std::vector<std::string>{"do_syscall_64_[k]", "tcp_sendmsg_[k]",
                                           "nft_do_chain [nf_tables]_[k]"}));
}

}  // namespace
}  // namespace loupe::profile
