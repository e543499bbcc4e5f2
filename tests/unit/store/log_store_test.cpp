#include <gtest/gtest.h>

#include "store/log_tables.h"

namespace loupe::store {
namespace {

TEST(LogFtsQuery, QuotesEveryWord) {
  EXPECT_EQ(LogTables::fts_query("a  b"), "\"a\" \"b\"");
  EXPECT_EQ(LogTables::fts_query("x\"y pre*"), "\"x\"\"y\" \"pre\"*");
  EXPECT_EQ(LogTables::fts_query("   "), "");
}

}  // namespace
}  // namespace loupe::store
