#include "agent/profile/kernel_symbols.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace loupe::profile {
namespace {

TEST(KernelSymbols, NamesTheFunctionContainingAnAddress) {
  auto k = KernelSymbols::parse(
      "ffffffff81000000 T _stext\n"
      "ffffffff81000100 t do_one\n"
      "ffffffff81000200 D some_data\n"
      "ffffffff81000300 T do_two\n"
      "ffffffffc0a01000 t mod_fn\t[nf_tables]\n"
      "not a line\n");
  EXPECT_EQ(k.size(), 4u);
  EXPECT_EQ(k.malformed(), 1u);
  EXPECT_EQ(k.lookup(0xffffffff81000150), "do_one");
  EXPECT_EQ(k.lookup(0xffffffff81000250), "do_one");  // data is not a function
  EXPECT_EQ(k.lookup(0xffffffff81000300), "do_two");
  EXPECT_EQ(k.lookup(0xffffffffc0a01010), "mod_fn [nf_tables]");
  EXPECT_EQ(k.lookup(0x1000), "");
}

TEST(KernelSymbols, OfSeveralNamesOfAnAddressTheFirstListed) {
  // The order kallsyms lists them in: the name the kernel prefers first.
  auto k = KernelSymbols::parse(R"(ffffffff81000000 T memcpy
ffffffff81000000 T __memcpy
ffffffff81000000 T __pi_memcpy
ffffffff81000100 t __do_sys_fork
ffffffff81000100 T __x64_sys_fork
)");
  EXPECT_EQ(k.size(), 2u);
  EXPECT_EQ(k.lookup(0xffffffff81000010), "memcpy");
  EXPECT_EQ(k.lookup(0xffffffff81000100), "__do_sys_fork");
}

TEST(KernelSymbols, HiddenAddressesNameNothing) {
  // What an unprivileged reader sees with kptr_restrict.
  auto k = KernelSymbols::parse("0000000000000000 T _stext\n0000000000000000 T do_one\n");
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(k.lookup(0xffffffff81000150), "");
}

// A kallsyms-like text of `count` functions 0x100 apart, names long
// enough that they fill several name blocks and lines cross read chunks.
std::string many_functions(size_t count) {
  std::string text;
  char line[128];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(line, sizeof line, "%016llx %c function_with_a_long_name_%zu%s\n",
                  0xffffffff81000000ULL + i * 0x100, i % 2 ? 't' : 'T', i,
                  i % 7 == 0 ? "\t[some_module]" : "");
    text += line;
  }
  return text;
}

TEST(KernelSymbols, ReadFromAFileAsParsedFromItsText) {
  // ~60k lines, ~3.3 MB: lines cut by the 64 KiB reads, names over many
  // 256 KiB blocks; the last line has no newline.
  std::string text = many_functions(60'000) + "ffffffffc1000000 T last_one";
  char path[] = "/tmp/kallsyms_test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  KernelSymbols read = KernelSymbols::read(path);
  unlink(path);
  KernelSymbols parsed = KernelSymbols::parse(text);
  ASSERT_EQ(read.size(), 60'001u);
  ASSERT_EQ(parsed.size(), read.size());
  for (size_t i = 0; i < 60'000; i += 997) {
    uint64_t addr = 0xffffffff81000000ULL + i * 0x100 + 0x10;
    std::string want = "function_with_a_long_name_" + std::to_string(i);
    if (i % 7 == 0) want += " [some_module]";
    EXPECT_EQ(read.lookup(addr), want);
    EXPECT_EQ(parsed.lookup(addr), want);
  }
  EXPECT_EQ(read.lookup(0xffffffffc1000010), "last_one");
  // Names kept once, in blocks: not a text's worth, nor twice the names.
  EXPECT_LT(read.bytes(), text.size());
}

TEST(KernelSymbols, FunctionPaddingIsNotKept) {
  // Call padding (__pfx_) and kCFI preambles (__cfi_) precede functions:
  // an address there is never executed, and they are half the table.
  auto k = KernelSymbols::parse(
      "ffffffff81000000 T _stext\n"
      "ffffffff810000f0 T __pfx_do_one\n"
      "ffffffff81000100 T do_one\n"
      "ffffffff810001f0 t __cfi_do_two\n"
      "ffffffff81000200 t do_two\n");
  EXPECT_EQ(k.size(), 3u);
  EXPECT_EQ(k.lookup(0xffffffff81000110), "do_one");
  EXPECT_EQ(k.lookup(0xffffffff810001f8), "do_one");
  EXPECT_EQ(k.lookup(0xffffffff81000210), "do_two");
}

TEST(KernelSymbols, UnsortedTextIsSorted) {
  auto k = KernelSymbols::parse(
      "ffffffff81000300 T third\n"
      "ffffffff81000100 T first\n"
      "ffffffff81000200 T second\n");
  EXPECT_EQ(k.lookup(0xffffffff81000150), "first");
  EXPECT_EQ(k.lookup(0xffffffff81000250), "second");
  EXPECT_EQ(k.lookup(0xffffffff81000350), "third");
}

TEST(KernelSymbols, AMissingFileNamesNothing) {
  KernelSymbols k = KernelSymbols::read("/nonexistent/kallsyms");
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(k.lookup(0xffffffff81000150), "");
}

}  // namespace
}  // namespace loupe::profile
