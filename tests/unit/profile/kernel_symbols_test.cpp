#include "agent/profile/kernel_symbols.h"

#include <gtest/gtest.h>

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

TEST(KernelSymbols, HiddenAddressesNameNothing) {
  // What an unprivileged reader sees with kptr_restrict.
  auto k = KernelSymbols::parse("0000000000000000 T _stext\n0000000000000000 T do_one\n");
  EXPECT_EQ(k.size(), 0u);
  EXPECT_EQ(k.lookup(0xffffffff81000150), "");
}

}  // namespace
}  // namespace loupe::profile
