#include "store/clickhouse/answer.h"

#include <gtest/gtest.h>

#include "store/clickhouse/error.h"
#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse::testing {
namespace {

TEST(ClickHouseAnswer, TsvRowsAndEscapes) {
  auto rows = parse_tsv("a\t1\nx\\ty\\nz\\\\\\'\t\\N\n", 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (TsvRow{"a", "1"}));
  EXPECT_EQ(rows[1], (TsvRow{"x\ty\nz\\'", "N"}));
  EXPECT_TRUE(parse_tsv("").empty());
  EXPECT_EQ(parse_tsv("\n", 1), (std::vector<TsvRow>{{""}}));
}

TEST(ClickHouseAnswer, TsvRefusesMalformedAnswers) {
  EXPECT_THROW(parse_tsv("a\tb\n", 1), Error);   // wrong column count
  EXPECT_THROW(parse_tsv("a\tb\nc\n"), Error);   // rows disagree
  EXPECT_THROW(parse_tsv("no newline"), Error);  // cut short
  EXPECT_THROW(parse_tsv("a\\"), Error);         // escape at the end
  try {
    parse_tsv("a\tb\n", 3);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::BadAnswer);
  }
}

TEST(ClickHouseAnswer, ExceptionOf18_16) {
  auto e = parse_exception(
      "Code: 81, e.displayText() = DB::Exception: Database nope doesn't exist, e.what() = "
      "DB::Exception\n");
  EXPECT_EQ(e.code, 81);
  EXPECT_EQ(e.message, "Database nope doesn't exist");
  e = parse_exception(
      "Code: 193, e.displayText() = DB::Exception: Wrong password for user loupe, e.what() = "
      "DB::Exception\n");
  EXPECT_EQ(e.code, 193);
  EXPECT_EQ(e.message, "Wrong password for user loupe");
}

TEST(ClickHouseAnswer, ExceptionOfCurrentReleases) {
  auto e = parse_exception(
      "Code: 516. DB::Exception: loupe: Authentication failed: password is incorrect, or there "
      "is no user with such name. (AUTHENTICATION_FAILED) (version 23.8.2.7 (official build))\n");
  EXPECT_EQ(e.code, 516);
  EXPECT_EQ(e.message,
            "loupe: Authentication failed: password is incorrect, or there is no user with such "
            "name");
}

TEST(ClickHouseAnswer, ExceptionWithoutTheUsualShape) {
  auto e = parse_exception("<html>\nnot found\n");
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.message, "<html> not found");
  // What ClickHouse's native port answers an HTTP request.
  EXPECT_EQ(parse_exception("Port 9000 is for clickhouse-client program.\nYou must use port 8123 "
                            "for HTTP.\n")
                .message,
            "Port 9000 is for clickhouse-client program. You must use port 8123 for HTTP");
  EXPECT_EQ(parse_exception("").message, "(no message)");
  EXPECT_EQ(parse_exception(std::string(2000, 'x')).message.size(), 503u);
  EXPECT_EQ(parse_exception("Code: 99999999999999, x").code, 0);
  EXPECT_EQ(parse_exception("a\x01"
                            "b")
                .message,
            "a b");
}

TEST(ClickHouseAnswer, NumbersAndOneLineTexts) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "12a", " 1", "18446744073709551616", "1.5"}) {
    try {
      parse_uint(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::BadAnswer);
    }
  }
  EXPECT_DOUBLE_EQ(parse_double("2.5"), 2.5);
  EXPECT_DOUBLE_EQ(parse_double("-1e-7"), -1e-7);
  EXPECT_DOUBLE_EQ(parse_double("0.30000000000000004"), 0.1 + 0.2);
  for (const char* bad : {"", "1,5", "x", "2.5 "}) {
    try {
      parse_double(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::BadAnswer);
    }
  }
  EXPECT_EQ(one_line("first. \nsecond", 100), "first");
  EXPECT_EQ(one_line("a\tb", 100), "a b");
  EXPECT_EQ(one_line("abcdef", 3), "abc...");
}

TEST(ClickHouseAnswer, Versions) {
  EXPECT_EQ(parse_version("18.16.1\n"), (Version{18, 16, 1}));
  EXPECT_EQ(parse_version("23.8.2.7"), (Version{23, 8, 2}));
  EXPECT_FALSE(parse_version(""));
  EXPECT_FALSE(parse_version("18.16"));
  EXPECT_FALSE(parse_version("18.16.1.x"));
  EXPECT_FALSE(parse_version("18.16.1."));
  EXPECT_FALSE(parse_version("v18.16.1"));
  EXPECT_FALSE(parse_version("-1.2.3"));
  EXPECT_LT((Version{18, 16, 1}), (Version{19, 1, 0}));
  EXPECT_EQ((Version{18, 16, 1}).to_string(), "18.16.1");
}

TEST(ClickHouseFeatures, DebianPackageHasNoneOfTheNewerFeatures) {
  Features f = features_of(Version{18, 16, 1});
  EXPECT_FALSE(f.low_cardinality);
  EXPECT_FALSE(f.codecs);
  EXPECT_FALSE(f.skip_indexes);
  EXPECT_FALSE(f.insert_deduplication_token);
  EXPECT_EQ(to_string(f), "none");
  Features current = features_of(Version{24, 3, 1});
  EXPECT_TRUE(current.low_cardinality && current.codecs && current.skip_indexes &&
              current.insert_deduplication_token);
  Features mid = features_of(Version{19, 16, 0});
  EXPECT_TRUE(mid.low_cardinality && mid.codecs);
  EXPECT_FALSE(mid.skip_indexes);
  EXPECT_EQ(to_string(mid), "LowCardinality, codecs");
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
