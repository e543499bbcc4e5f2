#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "core/record_limits.h"

namespace loupe::utf8 {
namespace {

const std::string kFffd(kReplacement);

// One character of each encoded length: $ (1), é (2), € (3), 𝄞 (4).
const std::string kChars[] = {"$", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E"};

TEST(Utf8, AcceptsEveryEncodedLengthAndTheEdgesOfTheRange) {
  for (const auto& c : kChars) EXPECT_TRUE(is_valid(c)) << c;
  EXPECT_TRUE(is_valid(""));
  EXPECT_TRUE(is_valid(std::string("\0", 1)));  // NUL is a character
  EXPECT_TRUE(is_valid("\xC2\x80"));            // U+0080, first two-byte
  EXPECT_TRUE(is_valid("\xE0\xA0\x80"));        // U+0800, first three-byte
  EXPECT_TRUE(is_valid("\xED\x9F\xBF"));        // U+D7FF, just below the surrogates
  EXPECT_TRUE(is_valid("\xEE\x80\x80"));        // U+E000, just above them
  EXPECT_TRUE(is_valid("\xF0\x90\x80\x80"));    // U+10000, first four-byte
  EXPECT_TRUE(is_valid("\xF4\x8F\xBF\xBF"));    // U+10FFFF, the last code point
}

TEST(Utf8, RejectsOverlongEncodings) {
  EXPECT_FALSE(is_valid("\xC0\xAF"));          // '/' in two bytes
  EXPECT_FALSE(is_valid("\xC1\xBF"));          // U+007F in two bytes
  EXPECT_FALSE(is_valid("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(is_valid("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(is_valid("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(Utf8, RejectsSurrogatesAndCodePointsAboveTheRange) {
  EXPECT_FALSE(is_valid("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(is_valid("\xED\xBF\xBF"));      // U+DFFF
  EXPECT_FALSE(is_valid("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid("\xFF"));
  EXPECT_FALSE(is_valid("\xFE"));
}

TEST(Utf8, RejectsStrayAndMissingContinuationBytes) {
  EXPECT_FALSE(is_valid("\x80"));
  EXPECT_FALSE(is_valid("a\xBFz"));
  EXPECT_FALSE(is_valid("\xC3"));
  EXPECT_FALSE(is_valid("\xC3z"));
  EXPECT_FALSE(is_valid("\xE2\x82z"));
  EXPECT_FALSE(is_valid("\xF0\x9D\x84"));
}

// is_valid skips ASCII a word at a time: a bad byte or a character at any
// offset after an ASCII run, within or across words, is still seen.
TEST(Utf8, ABadByteOrACharacterAfterAnyRunOfAsciiIsSeen) {
  for (size_t ascii = 0; ascii <= 24; ++ascii) {
    const std::string run(ascii, 'a');
    EXPECT_TRUE(is_valid(run)) << ascii;
    EXPECT_FALSE(is_valid(run + "\xBF")) << ascii;
    EXPECT_FALSE(is_valid(run + "\xBF" + run)) << ascii;
    EXPECT_FALSE(is_valid(run + "\xE2\x82")) << ascii;
    for (const auto& c : kChars) EXPECT_TRUE(is_valid(run + c + run)) << ascii << " " << c;
  }
}

TEST(Utf8, EveryProperPrefixOfAMultiByteCharacterIsInvalid) {
  for (const auto& c : kChars)
    for (size_t n = 1; n < c.size(); ++n) EXPECT_FALSE(is_valid(c.substr(0, n))) << c << " " << n;
}

TEST(Utf8, MakeValidReplacesEachBadByteAndKeepsTheRest) {
  std::string s = "/poison\xFF";
  make_valid(s);
  EXPECT_EQ(s, "/poison" + kFffd);
  s = "a\xC0\xAF"
      "b\xED\xA0\x80"
      "c";
  make_valid(s);
  EXPECT_EQ(s, "a" + kFffd + kFffd + "b" + kFffd + kFffd + kFffd + "c");
  s = "\xE2\x82\xAC ok \xC3\xA9";
  make_valid(s);
  EXPECT_EQ(s, "\xE2\x82\xAC ok \xC3\xA9");
}

// Every cut point of every multi-byte character, after a prefix of each
// length: the result is valid, never longer than the limit, and keeps the
// character only when it fits whole.
TEST(Utf8, CutsFallOnCharacterBoundariesAtEveryCutPoint) {
  for (const auto& c : kChars) {
    for (size_t pad = 0; pad < 4; ++pad) {
      std::string text = std::string(pad, 'x') + c + "y";
      for (size_t max = 0; max <= text.size(); ++max) {
        std::string expect = max >= pad + c.size() ? text.substr(0, max)
                             : max >= pad          ? std::string(pad, 'x')
                                                   : std::string(max, 'x');
        EXPECT_EQ(std::string(cut(text, max)), expect) << c << " pad " << pad << " max " << max;
        std::string t = text;
        truncate(t, max);
        EXPECT_EQ(t, expect);
        std::string v = text;
        make_valid(v, max);
        EXPECT_EQ(v, expect);
        std::string a = "pre";
        append_valid(a, text, max);
        EXPECT_EQ(a, "pre" + expect);
      }
    }
  }
}

TEST(Utf8, CutOfBytesThatAreNotUtf8StaysAtTheLimit) {
  std::string junk(10, '\x80');
  EXPECT_EQ(cut(junk, 5).size(), 5u);
  std::string s = junk;
  make_valid(s, 7);  // two replacement characters fit, a third would not
  EXPECT_EQ(s, kFffd + kFffd);
}

TEST(Utf8, A2000ByteUtf8PathCutAt1024IsValid) {
  std::string path = "/";
  while (path.size() < 2000) path += "\xC3\xA9\xE2\x82\xAC";  // é€
  std::string s(cut(path, 1024));
  EXPECT_LE(s.size(), 1024u);
  EXPECT_GE(s.size(), 1020u);
  EXPECT_TRUE(is_valid(s));
}

TEST(RecordLimits, CleaningMakesEveryFieldValidWithinItsLimit) {
  Record r;
  for (const TextField& f : record_text_fields())
    set_text(r, f, std::string(f.max_bytes, '\xFF'));  // triples when replaced
  ASSERT_EQ(oversize_field(r), nullptr);
  clean_record_text(r);
  for (const TextField& f : record_text_fields()) {
    EXPECT_TRUE(is_valid(text_of(r, f))) << f.name;
    EXPECT_LE(text_of(r, f).size(), f.max_bytes) << f.name;
  }
  r.path = std::string(30 << 20, 'a');
  ASSERT_NE(oversize_field(r), nullptr);
  EXPECT_STREQ(oversize_field(r)->name, "path");
}

}  // namespace
}  // namespace loupe::utf8
