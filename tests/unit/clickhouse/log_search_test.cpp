#include "store/clickhouse/log_search.h"

#include <gtest/gtest.h>

namespace loupe::store::clickhouse::testing {
namespace {

TEST(LogSearch, WordsSplitIntoTokensAsTheFullTextIndexReadsThem) {
  LogSearch s = log_search("  User_ID=5\tfoo-bar* ( -- ");
  ASSERT_EQ(s.words.size(), 2u);
  EXPECT_EQ(s.words[0].tokens, (std::vector<std::string>{"user", "id", "5"}));
  EXPECT_FALSE(s.words[0].prefix);
  EXPECT_EQ(s.words[1].tokens, (std::vector<std::string>{"foo", "bar"}));
  EXPECT_TRUE(s.words[1].prefix);
  EXPECT_FALSE(s.matches_nothing());
  EXPECT_TRUE(log_search("( --").matches_nothing());
  EXPECT_FALSE(log_search("   ").searched);
  EXPECT_TRUE(log_search("*").matches_nothing()) << "a lone '*' is a word without a token";
}

TEST(LogSearch, EachWordIsOneMatchOverTheLowerCasedText) {
  EXPECT_EQ(log_word_condition({{"foo", "bar"}, false}),
            "match(lowerUTF8(text), concat('(?:^|[^\\\\pL\\\\pN\\\\p{Co}])', lowerUTF8('foo'), "
            "'[^\\\\pL\\\\pN\\\\p{Co}]+', lowerUTF8('bar'), '(?:[^\\\\pL\\\\pN\\\\p{Co}]|$)'))");
  EXPECT_EQ(log_word_condition({{"pay"}, true}),
            "match(lowerUTF8(text), concat('(?:^|[^\\\\pL\\\\pN\\\\p{Co}])', lowerUTF8('pay')))");
  EXPECT_EQ(
      log_text_condition(log_search("a b")),
      " AND " + log_word_condition({{"a"}, false}) + " AND " + log_word_condition({{"b"}, false}));
  EXPECT_EQ(log_text_condition(log_search("")), "");
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
