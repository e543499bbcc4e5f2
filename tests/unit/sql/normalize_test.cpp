#include "protocols/sql/normalize.h"

#include <gtest/gtest.h>

using loupe::sql::Dialect;
using loupe::sql::mask_sql_literals;
using loupe::sql::normalize_sql;
using loupe::sql::sql_operation;

TEST(SqlMask, StringsAndNumbers) {
  EXPECT_EQ(mask_sql_literals("SELECT * FROM t WHERE a = 'x' AND b = 42"),
            "SELECT * FROM t WHERE a = ? AND b = ?");
  EXPECT_EQ(mask_sql_literals("SELECT 'it''s', 1.5e-3, .5, 0x1F"), "SELECT ?, ?, ?, ?");
  EXPECT_EQ(mask_sql_literals("SELECT E'a\\'b' || 'c'"), "SELECT ? || ?");
  EXPECT_EQ(mask_sql_literals("SELECT x'ff', B'0101', N'n', U&'d\\0061t'"), "SELECT ?, ?, ?, ?");
}

TEST(SqlMask, IdentifiersAndPlaceholdersKept) {
  EXPECT_EQ(mask_sql_literals("SELECT t1.c2 FROM t1 WHERE \"col 3\" = $1 AND x = ? AND y = :name"),
            "SELECT t1.c2 FROM t1 WHERE \"col 3\" = $1 AND x = ? AND y = :name");
  EXPECT_EQ(mask_sql_literals("SELECT a::int, \"we\"\"ird\" FROM s.t"),
            "SELECT a::int, \"we\"\"ird\" FROM s.t");
}

TEST(SqlMask, DollarQuotes) {
  EXPECT_EQ(mask_sql_literals("SELECT $$it's $1$$, $fn$ body $$ x $fn$ , $2"), "SELECT ?, ? , $2");
  EXPECT_EQ(mask_sql_literals("SELECT $$unterminated"), "SELECT ?");
}

TEST(SqlMask, CommentsKeptButTheirQuotesDoNotOpenStrings) {
  EXPECT_EQ(mask_sql_literals("SELECT 1 -- don't\nFROM t /* it's */ WHERE a='b'"),
            "SELECT ? -- don't\nFROM t /* it's */ WHERE a=?");
}

TEST(SqlMask, MysqlDialect) {
  EXPECT_EQ(mask_sql_literals("SELECT `a` FROM t WHERE b = \"x\" AND c = 'it\\'s' # c'm\n",
                              Dialect::Mysql),
            "SELECT `a` FROM t WHERE b = ? AND c = ? # c'm\n");
  // In Postgres a backslash does not escape, so the string ends at the quote.
  EXPECT_EQ(mask_sql_literals("SELECT 'C:\\' , 1"), "SELECT ? , ?");
}

TEST(SqlNormalize, WhitespaceCommentsAndLists) {
  EXPECT_EQ(normalize_sql("  SELECT *\n\tFROM  t -- note\nWHERE id IN (1, 2, 3) /*x*/ ;  "),
            "SELECT * FROM t WHERE id IN (?)");
  EXPECT_EQ(normalize_sql("select * from t where id in ($1,$2)"),
            "select * from t where id in ($1,$2)");
  EXPECT_EQ(normalize_sql("SELECT * FROM t WHERE a IN ('x','y') AND b NOT IN (?, ?)"),
            "SELECT * FROM t WHERE a IN (?) AND b NOT IN (?)");
  EXPECT_EQ(normalize_sql("INSERT INTO t VALUES (1, 'a')"), "INSERT INTO t VALUES (?, ?)");
  EXPECT_EQ(normalize_sql("SELECT min(x) FROM t"), "SELECT min(x) FROM t");
  EXPECT_EQ(normalize_sql("SELECT a/*c*/FROM t"), "SELECT a FROM t");
}

TEST(SqlNormalize, CutTo512BytesOnUtf8Boundary) {
  std::string q = "SELECT " + std::string(600, 'a');
  EXPECT_EQ(normalize_sql(q).size(), 512u);
  std::string u = "SELECT \"";
  for (int i = 0; i < 400; ++i) u += "\xc3\xa9";  // é
  u += "\"";
  std::string n = normalize_sql(u);
  EXPECT_LE(n.size(), 512u);
  EXPECT_EQ((n.size() - 8) % 2, 0u);
}

TEST(SqlNormalize, NeverFailsOnGarbage) {
  std::string g;
  for (int i = 0; i < 256; ++i) g += static_cast<char>(i);
  EXPECT_NO_THROW(normalize_sql(g));
  EXPECT_NO_THROW(mask_sql_literals(g));
  EXPECT_NO_THROW(sql_operation(g));
  EXPECT_EQ(normalize_sql(""), "");
  EXPECT_EQ(normalize_sql("'"), "?");
  EXPECT_EQ(normalize_sql("/*"), "");
}

TEST(SqlOperation, FirstKeyword) {
  EXPECT_EQ(sql_operation("select 1"), "SELECT");
  EXPECT_EQ(sql_operation("  /* hint */ -- c\n insert into t values (1)"), "INSERT");
  EXPECT_EQ(sql_operation("(SELECT 1) UNION (SELECT 2)"), "SELECT");
  EXPECT_EQ(sql_operation("begin"), "BEGIN");
  EXPECT_EQ(sql_operation("WITH x AS (SELECT 1) UPDATE t SET a = 1"), "UPDATE");
  EXPECT_EQ(
      sql_operation("WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n+1 FROM r) SELECT * FROM r"),
      "SELECT");
  EXPECT_EQ(sql_operation("# note\nSELECT 1", Dialect::Mysql), "SELECT");
  EXPECT_EQ(sql_operation(""), "");
  EXPECT_EQ(sql_operation("   "), "");
}
