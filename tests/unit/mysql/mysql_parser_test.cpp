#include <gtest/gtest.h>

#include "mysql_wire.h"

using namespace loupe::mysql::testing;
using loupe::Record;

namespace {

void expect_same(const Record& a, const Record& b) {
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.req_bytes, b.req_bytes);
  EXPECT_EQ(a.resp_bytes, b.resp_bytes);
}

}  // namespace

TEST(MysqlParser, HandshakeIsNotReported) {
  Conn c = connected(true);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(MysqlParser, QueryWithResultSetBothEofModes) {
  for (bool deprecate : {false, true}) {
    Conn c = connected(deprecate);
    const std::string q = query("SELECT id, name FROM users WHERE name = 'bob' LIMIT 10");
    const std::string resp = result_set({"id", "name"}, {{"1", "bob"}, {"7", "bob"}}, deprecate);
    c.req(q, 100);
    c.resp(resp, 300);
    ASSERT_EQ(c.records.size(), 1u) << deprecate;
    const Record& r = c.records[0];
    EXPECT_EQ(r.protocol, loupe::Protocol::Mysql);
    EXPECT_EQ(r.method, "SELECT");
    EXPECT_EQ(r.path, "SELECT id, name FROM users WHERE name = ? LIMIT ?");
    EXPECT_EQ(r.route, "SELECT id, name FROM users WHERE name = ? LIMIT ?");
    EXPECT_EQ(r.detail, "rows=2");
    EXPECT_EQ(r.host, "shop");
    EXPECT_EQ(r.start_ns, 100u);
    EXPECT_EQ(r.end_ns, 300u);
    EXPECT_EQ(r.req_bytes, q.size());
    EXPECT_EQ(r.resp_bytes, resp.size());
  }
}

TEST(MysqlParser, EofModeLearntWithoutHandshake) {
  for (bool deprecate : {false, true}) {
    Conn c;  // mid-stream: no greeting seen
    c.req(query("SELECT a FROM t"), 1);
    c.resp(result_set({"a"}, {{"1"}, {"2"}, {"3"}}, deprecate), 2);
    c.req(query("SELECT a FROM t WHERE 0"), 3);
    c.resp(result_set({"a"}, {}, deprecate), 4);
    c.req(query("SELECT b FROM t"), 5);
    c.resp(result_set({"b"}, {{"x"}}, deprecate), 6);
    ASSERT_EQ(c.records.size(), 3u) << deprecate;
    EXPECT_EQ(c.records[0].detail, "rows=3");
    EXPECT_EQ(c.records[1].detail, "rows=0");
    EXPECT_EQ(c.records[2].detail, "rows=1");
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
  }
}

TEST(MysqlParser, OkAndErrors) {
  Conn c = connected(true);
  c.req(query("UPDATE t SET a = 1 WHERE b IN (1,2,3)"), 10);
  c.resp(ok(1, 3), 11);
  c.req(query("SELEC 1"), 20);
  c.resp(err(1, 1064, "42000", "You have an error in your SQL syntax"), 21);
  c.req(query("SELECT * FROM nope"), 30);
  c.resp(err(1, 1146, "42S02", "Table 'shop.nope' doesn't exist"), 31);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].detail, "affected=3");
  EXPECT_EQ(c.records[0].route, "UPDATE t SET a = ? WHERE b IN (?)");
  EXPECT_FALSE(c.records[0].error);
  EXPECT_TRUE(c.records[1].error);
  EXPECT_EQ(c.records[1].error_code, "1064");
  EXPECT_EQ(c.records[1].error_message, "You have an error in your SQL syntax");
  EXPECT_EQ(c.records[2].error_code, "1146");
  EXPECT_EQ(c.records[2].error_message, "Table 'shop.nope' doesn't exist");
}

TEST(MysqlParser, EverySplitPointGivesTheSameRecord) {
  const std::string q = query("SELECT v FROM kv WHERE k = 'a'");
  const std::string resp = result_set({"v"}, {{"1"}, {"2"}}, false);
  Conn whole = connected(false);
  whole.req(q, 100);
  whole.resp(resp, 200);
  ASSERT_EQ(whole.records.size(), 1u);
  for (std::size_t i = 1; i < q.size(); ++i) {
    Conn c = connected(false);
    c.req(std::string_view(q).substr(0, i), 100);
    c.req(std::string_view(q).substr(i), 150);
    c.resp(resp, 200);
    ASSERT_EQ(c.records.size(), 1u) << i;
    expect_same(c.records[0], whole.records[0]);
  }
  for (std::size_t i = 1; i < resp.size(); ++i) {
    Conn c = connected(false);
    c.req(q, 100);
    c.resp(std::string_view(resp).substr(0, i), 150);
    c.resp(std::string_view(resp).substr(i), 200);
    ASSERT_EQ(c.records.size(), 1u) << i;
    expect_same(c.records[0], whole.records[0]);
  }
}

TEST(MysqlParser, QuerySplitAcrossManySegments) {
  Conn c = connected(true);
  const std::string q = query("INSERT INTO logs VALUES (1, 'hello')");
  for (std::size_t i = 0; i < q.size(); ++i) c.req(q.substr(i, 1), 100 + i);
  c.resp(ok(1, 1), 500);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 100u);
  EXPECT_EQ(c.records[0].path, "INSERT INTO logs VALUES (?, ?)");
}

TEST(MysqlParser, PreparedStatementsBothEofModes) {
  for (bool deprecate : {false, true}) {
    Conn c = connected(deprecate);
    c.req(command(kComStmtPrepare, "SELECT name FROM users WHERE id = ?"), 10);
    c.resp(prepare_ok(7, 1, 1, deprecate), 11);
    for (int i = 0; i < 3; ++i) {
      c.req(execute(7), 100 + i * 10);
      c.resp(result_set({"name"}, {{"x"}}, deprecate), 105 + i * 10);
    }
    c.req(command(kComStmtClose, le32(7)), 200);
    c.req(command(kComPing, ""), 210);
    c.resp(ok(1), 211);
    ASSERT_EQ(c.records.size(), 5u) << deprecate;
    EXPECT_EQ(c.records[0].method, "STMT_PREPARE");
    EXPECT_EQ(c.records[0].path, "SELECT name FROM users WHERE id = ?");
    EXPECT_EQ(c.records[0].end_ns, 11u);
    for (int i = 1; i <= 3; ++i) {
      EXPECT_EQ(c.records[i].method, "SELECT");
      EXPECT_EQ(c.records[i].path, "SELECT name FROM users WHERE id = ?");
      EXPECT_EQ(c.records[i].detail, "rows=1");
    }
    EXPECT_EQ(c.records[4].method, "PING");
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
  }
}

TEST(MysqlParser, PrepareWithUnknownEofMode) {
  Conn c;  // no handshake: EOF mode unknown, learnt from the trailing EOF
  c.req(command(kComStmtPrepare, "DELETE FROM t WHERE id = ?"), 10);
  c.resp(prepare_ok(3, 0, 1, false), 11);
  c.req(execute(3), 20);
  c.resp(ok(1, 1), 21);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].method, "DELETE");
  EXPECT_EQ(c.records[1].detail, "affected=1");
}

TEST(MysqlParser, InitDbUpdatesDatabase) {
  Conn c = connected(true);
  c.req(command(kComInitDb, "billing"), 1);
  c.resp(ok(1), 2);
  c.req(query("SELECT 1"), 3);
  c.resp(result_set({"1"}, {{"1"}}, true), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "INIT_DB");
  EXPECT_EQ(c.records[1].host, "billing");
}

TEST(MysqlParser, MultipleResultSets) {
  Conn c = connected(true);
  c.req(query("CALL p()"), 1);
  c.resp(result_set({"a"}, {{"1"}, {"2"}}, true, 2 | kStatusMoreResults) + ok(5, 0), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "rows=2");
  EXPECT_EQ(c.records[0].method, "CALL");
}

TEST(MysqlParser, SslRequestThenCiphertextFinishes) {
  Conn c;
  c.resp(greeting(kCaps | kClientSsl), 1);
  c.req(ssl_request(kCaps), 2);
  c.req(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 3);
  EXPECT_TRUE(c.parser->finished());
  EXPECT_TRUE(c.records.empty());
}

TEST(MysqlParser, LargeResultSetWithUncapturedTails) {
  for (bool deprecate : {false, true}) {
    Conn c = connected(deprecate);
    c.req(query("SELECT * FROM big"), 100);
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < 10000; ++i) rows.push_back({std::string(30, 'a' + i % 26), "0123456789"});
    const std::string resp = result_set({"s", "n"}, rows, deprecate);
    uint64_t ts = 200;
    for (std::size_t off = 0; off < resp.size(); off += 16384, ++ts) {
      std::size_t wire = std::min<std::size_t>(16384, resp.size() - off);
      std::size_t cap = off + wire == resp.size() ? wire : std::min<std::size_t>(wire, 256);
      c.resp(std::string_view(resp).substr(off, cap), ts, wire);
    }
    ASSERT_EQ(c.records.size(), 1u) << deprecate;
    EXPECT_EQ(c.records[0].detail, "rows=10000");
    EXPECT_EQ(c.records[0].resp_bytes, resp.size());
    EXPECT_EQ(c.records[0].end_ns, ts - 1);
    c.req(query("SELECT 1"), 1000);
    c.resp(ok(1), 1001);
    EXPECT_EQ(c.records.size(), 2u);
  }
}

TEST(MysqlParser, SplitSixteenMegabytePacketKeepsFraming) {
  Conn c = connected(true);
  std::string big = "INSERT INTO blobs VALUES ('" + std::string(kMaxPayload, 'z') + "')";
  std::string payload = std::string(1, static_cast<char>(kComQuery)) + big;
  std::string wire =
      packet(0, payload.substr(0, kMaxPayload)) + packet(1, payload.substr(kMaxPayload));
  // Captured: a 4 KiB prefix of the 16 MiB write, then the small tail.
  const std::size_t first = kMaxPayload + 4;
  c.req(std::string_view(wire).substr(0, 4096), 10, first);
  c.req(std::string_view(wire).substr(first), 11);
  c.resp(ok(2, 1), 12);
  c.req(query("SELECT 1"), 20);
  c.resp(result_set({"1"}, {{"1"}}, true), 21);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "INSERT");
  EXPECT_EQ(c.records[0].req_bytes, wire.size());
  EXPECT_EQ(c.records[1].detail, "rows=1");
}

TEST(MysqlParser, MalformedInputNeverCrashes) {
  Conn c = connected(true);
  c.req(std::string("\xff\xff\xff\x00\x03garbage", 12), 1);
  c.resp(std::string(3000, '\xfe'), 2);
  c.resp(std::string("\x01\x00\x00\x01", 4), 3);
  c.req(std::string(10, '\0'), 4);
  EXPECT_NO_THROW(c.parser->close(5, c.records));
}

TEST(MysqlParser, KeepLiteralsOption) {
  auto p = make_parser(loupe::Role::Server, {.keep_literals = true});
  std::vector<Record> out;
  std::string q = query("SELECT * FROM t WHERE email = 'a@b.c'");
  std::string r = ok(1);
  p->feed({loupe::Direction::Ingress, 1, q, q.size()}, out);
  p->feed({loupe::Direction::Egress, 2, r, r.size()}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, "SELECT * FROM t WHERE email = 'a@b.c'");
  EXPECT_EQ(out[0].role, loupe::Role::Server);
}

TEST(MysqlParser, MidStreamReplyTailIsSkipped) {
  Conn c;
  // The tail of a reply whose command was never seen, starting mid-packet.
  const std::string tail = result_set({"a"}, {{"1"}, {"2"}}, false).substr(7);
  c.resp(tail, 1);
  c.req(query("SELECT 2"), 2);
  c.resp(result_set({"a"}, {{"2"}}, false), 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "rows=1");
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

TEST(MysqlParser, CompressedProtocolFinishes) {
  Conn c;
  c.resp(greeting(kCaps | kClientCompress), 1);
  c.req(handshake_response(kCaps | kClientCompress, "db"), 2);
  c.resp(ok(2), 3);
  EXPECT_TRUE(c.parser->finished());
}

TEST(MysqlParser, PipelinedCommandsMatchInOrder) {
  Conn c = connected(true);
  c.req(query("SELECT a FROM t") + query("DELETE FROM t WHERE a = 1") + command(kComPing, ""), 1);
  c.resp(result_set({"a"}, {{"1"}, {"2"}}, true) + ok(1, 2) + ok(1), 2);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].detail, "rows=2");
  EXPECT_EQ(c.records[1].detail, "affected=2");
  EXPECT_EQ(c.records[2].method, "PING");
}
