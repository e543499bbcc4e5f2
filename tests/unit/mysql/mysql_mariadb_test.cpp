// MariaDB-specific reply shapes seen against a real mariadbd 10.11.
#include <gtest/gtest.h>

#include "mysql_wire.h"

using namespace loupe::mysql::testing;

namespace {

// A binary-protocol result set as MariaDB sends it to a client with
// MARIADB_CLIENT_CACHE_METADATA: the column count packet carries a
// metadata-follows byte, 0 when the client already has the column
// definitions from COM_STMT_PREPARE; then no definitions are sent.
std::string cached_metadata_result(int rows, bool deprecate_eof) {
  uint8_t seq = 1;
  std::string s = packet(seq++, lenenc(2) + std::string(1, '\0'));
  if (!deprecate_eof) s += eof(seq++);
  for (int i = 1; i <= rows; ++i)
    s += packet(seq++, std::string(2, '\0') + le32(i) + lenstr("name" + std::to_string(i)));
  s += deprecate_eof ? ok(seq, 0, 2, 0xFE) : eof(seq);
  return s;
}

}  // namespace

TEST(MysqlParser, MariadbExecuteWithCachedMetadata) {
  for (bool deprecate : {false, true}) {
    Conn c = connected(deprecate);
    c.req(command(kComStmtPrepare, "SELECT id, name FROM t WHERE id <= ?"), 10);
    c.resp(prepare_ok(1, 2, 1, deprecate), 11);
    for (int n = 1; n <= 5; ++n) {
      c.req(execute(1), 100 * n);
      c.resp(cached_metadata_result(n, deprecate), 100 * n + 5);
    }
    ASSERT_EQ(c.records.size(), 6u) << deprecate;
    for (int n = 1; n <= 5; ++n) {
      EXPECT_EQ(c.records[n].method, "SELECT") << deprecate;
      EXPECT_EQ(c.records[n].detail, "rows=" + std::to_string(n)) << deprecate;
      EXPECT_EQ(c.records[n].end_ns, 100u * n + 5) << deprecate;
      EXPECT_EQ(c.records[n].resp_bytes, cached_metadata_result(n, deprecate).size()) << deprecate;
    }
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
  }
}

TEST(MysqlParser, MariadbMetadataFollowsByteSet) {
  // metadata-follows = 1: definitions are sent as usual.
  Conn c = connected(false);
  c.req(command(kComStmtPrepare, "SELECT name FROM t WHERE id = ?"), 10);
  c.resp(prepare_ok(1, 1, 1, false), 11);
  c.req(execute(1), 20);
  std::string r = packet(1, lenenc(1) + std::string(1, '\1')) + column_def(2, "name") + eof(3) +
                  packet(4, std::string(2, '\0') + lenstr("x")) + eof(5);
  c.resp(r, 25);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].detail, "rows=1");
}

// MariaDB writes a result set 16 KiB at a time; with 4 KiB of each write
// captured, the final EOF/OK is lost whenever the last write is longer than
// that. The next command (or COM_QUIT, or the close) ends the exchange.
TEST(MysqlParser, ReplyEndInUncapturedTail) {
  for (int how = 0; how < 3; ++how) {
    Conn c = connected(true);
    c.req(query("SELECT seq, repeat('x', 20) FROM seq_1_to_100000"), 100);
    std::vector<std::vector<std::string>> rows;
    while (true) {
      rows.push_back({std::to_string(rows.size() + 1), std::string(20, 'x')});
      const std::size_t n = result_set({"seq", "x"}, rows, true).size();
      if (n > 100000 && n % 16384 > 10000) break;
    }
    const std::string resp = result_set({"seq", "x"}, rows, true);
    uint64_t ts = 200;
    for (std::size_t off = 0; off < resp.size(); off += 16384, ++ts) {
      std::size_t wire = std::min<std::size_t>(16384, resp.size() - off);
      c.resp(std::string_view(resp).substr(off, std::min<std::size_t>(4096, wire)), ts, wire);
    }
    EXPECT_TRUE(c.records.empty());
    if (how == 0) c.req(query("SELECT 1"), 1000);
    if (how == 1) c.req(command(kComQuit, ""), 1000);
    if (how == 2) c.parser->close(1000, c.records);
    ASSERT_EQ(c.records.size(), 1u) << how;
    EXPECT_EQ(c.records[0].route, "SELECT seq, repeat(?, ?) FROM seq_1_to_100000");
    EXPECT_EQ(c.records[0].start_ns, 100u);
    EXPECT_EQ(c.records[0].end_ns, ts - 1);
    EXPECT_EQ(c.records[0].resp_bytes, resp.size());
    EXPECT_EQ(c.records[0].detail, "");
    if (how == 0) {  // the next reply is framed and attributed normally
      const std::string r = result_set({"1"}, {{"1"}}, true);
      c.resp(r, 1001);
      ASSERT_EQ(c.records.size(), 2u);
      EXPECT_EQ(c.records[1].detail, "rows=1");
      EXPECT_EQ(c.records[1].resp_bytes, r.size());
    }
  }
}
