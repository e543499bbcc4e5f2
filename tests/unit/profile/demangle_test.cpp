#include "agent/profile/demangle.h"

#include <gtest/gtest.h>

namespace loupe::profile {
namespace {

TEST(Demangle, CxxNames) {
  EXPECT_EQ(demangle("_ZN5loupe3fooEv"), "loupe::foo()");
  EXPECT_EQ(demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"),
            "std::vector<int, std::allocator<int> >::push_back(int const&)");
}

TEST(Demangle, RustLegacyNamesLoseTheirHashAndEscapes) {
  EXPECT_EQ(demangle("_ZN3std2rt10lang_start17h1234567890abcdefE"), "std::rt::lang_start");
  EXPECT_EQ(
      demangle("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$"
               "closure$u7d$$u7d$$GT$17h0b5a0c1e5e3f4f1aE"),
      "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
}

TEST(Demangle, RustV0Names) {
  EXPECT_EQ(demangle("_RNvCs15kBYyAo9fc_7mycrate7example"), "mycrate::example");
  EXPECT_EQ(demangle("_RNvNtCs1234_7mycrate3foo3bar"), "mycrate::foo::bar");
}

TEST(Demangle, EverythingElseUnchanged) {
  for (const char* name : {"main", "main.hotLoop", "runtime.goexit", "_Znot valid", "_R", "_RNv",
                           "LazyCompile:*hot x.js:1", ""})
    EXPECT_EQ(demangle(name), name);
}

}  // namespace
}  // namespace loupe::profile
