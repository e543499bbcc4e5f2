// same_text (core/same_text.h): equal to std::string_view's == for every
// size it reads in its own way (0-3, 4-7, 8-16, 17-32 bytes, longer), whichever
// byte differs.
#include "core/same_text.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace loupe {
namespace {

TEST(SameText, AgreesWithStringEqualityAtEverySizeAndByte) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'x'), b(n, 'x');
    for (size_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<char>('a' + i % 26);
    EXPECT_TRUE(same_text(a, b)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string c = b;
      c[i] = static_cast<char>(c[i] ^ 0x80);
      EXPECT_FALSE(same_text(a, c)) << n << " differing at " << i;
      EXPECT_FALSE(same_text(c, a)) << n << " differing at " << i;
    }
    EXPECT_FALSE(same_text(a, a + "x")) << n;
    EXPECT_FALSE(same_text(a + "x", a)) << n;
  }
  // Views into one buffer, the sizes' words overlapping other bytes.
  std::string s = "GET /a HTTP/1.1 GET";
  EXPECT_TRUE(same_text(std::string_view(s).substr(0, 3), std::string_view(s).substr(16, 3)));
  EXPECT_FALSE(same_text(std::string_view(s).substr(0, 4), std::string_view(s).substr(15, 4)));
}

// text_tail: the last 8 bytes (all of a shorter text, in the low bytes)
// and the size in the top byte, as a copy of those bytes into a zeroed
// word gives, at every size.
TEST(SameText, TextTailIsTheLastBytesAndTheSize) {
  for (size_t n = 0; n <= 20; ++n) {
    std::string s(n, 'x');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(0x81 + i * 7);
    uint64_t copied = 0;
    size_t k = n < 8 ? n : 8;
    std::memcpy(&copied, s.data() + n - k, k);
    EXPECT_EQ(text_tail(s), copied ^ (uint64_t{n} << 56)) << n;
  }
}

}  // namespace
}  // namespace loupe
