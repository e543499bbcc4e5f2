#include "core/base64.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

TEST(Base64, DecodesStandardAndUrlSafeWithOrWithoutPadding) {
  EXPECT_EQ(*base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64_decode("aGVsbG8"), "hello");
  EXPECT_EQ(*base64_decode("-_8="), std::string("\xfb\xff", 2));
  EXPECT_EQ(*base64_decode("+/8="), std::string("\xfb\xff", 2));
  EXPECT_FALSE(base64_decode("a$b"));
}

}  // namespace
}  // namespace loupe
