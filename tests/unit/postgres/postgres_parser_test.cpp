#include <gtest/gtest.h>

#include "pg_wire.h"

using namespace loupe::postgres::testing;
using loupe::Protocol;
using loupe::Record;

namespace {

std::string select_reply() {
  return row_description({"id", "name"}) + data_row({"1", "alice"}) + data_row({"2", "bob"}) +
         complete("SELECT 2") + ready();
}

Conn connected() {
  Conn c;
  c.req(startup("app", "shop"), 1);
  c.resp(auth(5, "salt"), 2);
  c.req(password("md5abc"), 3);
  c.resp(startup_reply(), 4);
  return c;
}

void expect_same(const Record& a, const Record& b) {
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.route, b.route);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.req_bytes, b.req_bytes);
  EXPECT_EQ(a.resp_bytes, b.resp_bytes);
  EXPECT_EQ(a.error, b.error);
}

}  // namespace

TEST(PostgresParser, StartupAndAuthAreNotReported) {
  Conn c = connected();
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(PostgresParser, SimpleQuery) {
  Conn c = connected();
  const std::string q = query("SELECT id, name FROM users WHERE name = 'alice' AND id > 10");
  c.req(q, 100);
  c.resp(select_reply(), 250);
  ASSERT_EQ(c.records.size(), 1u);
  const Record& r = c.records[0];
  EXPECT_EQ(r.protocol, Protocol::Postgres);
  EXPECT_EQ(r.role, loupe::Role::Client);
  EXPECT_EQ(r.method, "SELECT");
  EXPECT_EQ(r.path, "SELECT id, name FROM users WHERE name = ? AND id > ?");
  EXPECT_EQ(r.route, "SELECT id, name FROM users WHERE name = ? AND id > ?");
  EXPECT_EQ(r.detail, "SELECT 2");
  EXPECT_EQ(r.host, "shop");
  EXPECT_EQ(r.start_ns, 100u);
  EXPECT_EQ(r.end_ns, 250u);
  EXPECT_EQ(r.req_bytes, q.size());
  EXPECT_EQ(r.resp_bytes, select_reply().size());
  EXPECT_FALSE(r.error);
}

TEST(PostgresParser, ServerRoleUsesIngressForRequests) {
  Conn c(loupe::Role::Server);
  c.req(query("BEGIN"), 10);
  c.resp(complete("BEGIN") + ready('T'), 20);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "BEGIN");
  EXPECT_EQ(c.records[0].role, loupe::Role::Server);
}

TEST(PostgresParser, EverySplitPointGivesTheSameRecord) {
  const std::string q = query("UPDATE t SET a = 5 WHERE id IN (1, 2, 3)");
  const std::string resp = complete("UPDATE 3") + ready();
  Conn whole = connected();
  whole.req(q, 100);
  whole.resp(resp, 200);
  ASSERT_EQ(whole.records.size(), 1u);
  EXPECT_EQ(whole.records[0].route, "UPDATE t SET a = ? WHERE id IN (?)");
  for (std::size_t i = 1; i < q.size(); ++i) {
    Conn c = connected();
    c.req(std::string_view(q).substr(0, i), 100);
    c.req(std::string_view(q).substr(i), 150);
    c.resp(resp, 200);
    ASSERT_EQ(c.records.size(), 1u) << "request split at " << i;
    expect_same(c.records[0], whole.records[0]);
  }
  for (std::size_t i = 1; i < resp.size(); ++i) {
    Conn c = connected();
    c.req(q, 100);
    c.resp(std::string_view(resp).substr(0, i), 150);
    c.resp(std::string_view(resp).substr(i), 200);
    ASSERT_EQ(c.records.size(), 1u) << "response split at " << i;
    expect_same(c.records[0], whole.records[0]);
  }
}

TEST(PostgresParser, QuerySplitAcrossManySegments) {
  Conn c = connected();
  const std::string q = query("INSERT INTO logs(msg) VALUES ('hello world')");
  for (std::size_t i = 0; i < q.size(); ++i) c.req(q.substr(i, 1), 100 + i);
  const std::string resp = complete("INSERT 0 1") + ready();
  for (std::size_t i = 0; i < resp.size(); ++i) c.resp(resp.substr(i, 1), 1000 + i);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "INSERT");
  EXPECT_EQ(c.records[0].detail, "INSERT 0 1");
  EXPECT_EQ(c.records[0].path, "INSERT INTO logs(msg) VALUES (?)");
  EXPECT_EQ(c.records[0].start_ns, 100u);
  EXPECT_EQ(c.records[0].end_ns, 1000 + resp.size() - 1);
}

TEST(PostgresParser, PipelinedQueriesMatchInOrder) {
  Conn c = connected();
  c.req(query("SELECT 1") + query("DELETE FROM t WHERE x = 2") + query("SELECT * FROM nope"), 10);
  c.resp(row_description({"?column?"}) + data_row({"1"}) + complete("SELECT 1") + ready() +
             complete("DELETE 4") + ready(),
         20);
  c.resp(error("42P01", "relation \"nope\" does not exist") + ready(), 30);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].detail, "SELECT 1");
  EXPECT_EQ(c.records[1].method, "DELETE");
  EXPECT_EQ(c.records[1].detail, "DELETE 4");
  EXPECT_EQ(c.records[1].end_ns, 20u);
  EXPECT_TRUE(c.records[2].error);
  EXPECT_EQ(c.records[2].error_code, "42P01");
  EXPECT_EQ(c.records[2].error_message, "ERROR: relation \"nope\" does not exist");
  EXPECT_EQ(c.records[2].end_ns, 30u);
  EXPECT_FALSE(c.records[0].error);
}

TEST(PostgresParser, SyntaxError) {
  Conn c = connected();
  c.req(query("SELEC 1"), 10);
  c.resp(error("42601", "syntax error at or near \"SELEC\"") + ready(), 20);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "SELEC");
  EXPECT_EQ(c.records[0].error_code, "42601");
}

TEST(PostgresParser, ExtendedProtocolUnnamedStatementLibpqShape) {
  Conn c = connected();
  const std::string req = parse("", "SELECT * FROM users WHERE id = $1") + bind("", "", {"42"}) +
                          describe_portal("") + execute("") + sync_msg();
  c.req(req, 100);
  c.resp(parse_complete() + bind_complete() + row_description({"id"}) + data_row({"42"}) +
             complete("SELECT 1") + ready(),
         200);
  ASSERT_EQ(c.records.size(), 1u);
  const Record& r = c.records[0];
  EXPECT_EQ(r.method, "SELECT");
  EXPECT_EQ(r.path, "SELECT * FROM users WHERE id = $1");
  EXPECT_EQ(r.detail, "SELECT 1");
  EXPECT_EQ(r.start_ns, 100u);
  EXPECT_EQ(r.end_ns, 200u);
  EXPECT_EQ(r.req_bytes, req.size());
}

TEST(PostgresParser, NamedStatementExecutedManyTimes) {
  Conn c = connected();
  c.req(parse("stmt1", "UPDATE accounts SET balance = balance + $1 WHERE id = $2") +
            describe_stmt("stmt1") + sync_msg(),
        10);
  c.resp(parse_complete() + param_description() + no_data() + ready(), 20);
  EXPECT_TRUE(c.records.empty());  // a successful prepare alone is not a query
  for (int i = 0; i < 3; ++i) {
    c.req(bind("", "stmt1", {"10", std::to_string(i)}) + execute("") + sync_msg(), 100 + i * 100);
    c.resp(bind_complete() + complete("UPDATE 1") + ready(), 150 + i * 100);
  }
  ASSERT_EQ(c.records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.records[i].method, "UPDATE");
    EXPECT_EQ(c.records[i].path, "UPDATE accounts SET balance = balance + $1 WHERE id = $2");
    EXPECT_EQ(c.records[i].detail, "UPDATE 1");
    EXPECT_EQ(c.records[i].start_ns, 100u + i * 100);
    EXPECT_EQ(c.records[i].end_ns, 150u + i * 100);
  }
}

TEST(PostgresParser, BatchOfExecutesBeforeOneSync) {
  Conn c = connected();
  c.req(parse("ins", "INSERT INTO t VALUES ($1)") + bind("", "ins", {"1"}) + execute("") +
            bind("", "ins", {"2"}) + execute("") + sync_msg(),
        10);
  c.resp(parse_complete() + bind_complete() + complete("INSERT 0 1") + bind_complete() +
             complete("INSERT 0 1") + ready(),
         20);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "INSERT INTO t VALUES ($1)");
  EXPECT_EQ(c.records[1].end_ns, 20u);
}

TEST(PostgresParser, ExtendedParseErrorSkipsToSync) {
  Conn c = connected();
  c.req(parse("", "SELECT * FROM missing") + bind("", "") + describe_portal("") + execute("") +
            sync_msg(),
        10);
  c.resp(error("42P01", "relation \"missing\" does not exist") + ready(), 20);
  c.req(query("SELECT 1"), 30);
  c.resp(complete("SELECT 1") + ready(), 40);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].error_code, "42P01");
  EXPECT_EQ(c.records[0].path, "SELECT * FROM missing");
  EXPECT_EQ(c.records[0].end_ns, 20u);
  EXPECT_FALSE(c.records[1].error);
  EXPECT_EQ(c.records[1].detail, "SELECT 1");
}

TEST(PostgresParser, SslRefusedThenPlainStartup) {
  Conn c;
  c.req(ssl_request(), 1);
  c.resp("N", 2);
  c.req(startup("u", "db1"), 3);
  c.resp(startup_reply(), 4);
  c.req(query("SELECT 1"), 5);
  c.resp(complete("SELECT 1") + ready(), 6);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].host, "db1");
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

TEST(PostgresParser, SslAcceptedThenCiphertextFinishes) {
  Conn c;
  c.req(ssl_request(), 1);
  c.resp("S", 2);
  c.req(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 3);
  EXPECT_TRUE(c.parser->finished());
  EXPECT_TRUE(c.records.empty());
}

TEST(PostgresParser, MidStreamStart) {
  Conn c;                                                       // no startup seen
  c.resp(data_row({"x"}) + complete("SELECT 9") + ready(), 1);  // reply to an unseen query
  c.req(bind("", "s7", {"1"}) + execute("") + sync_msg(), 10);
  c.resp(bind_complete() + complete("DELETE 1") + ready(), 20);
  c.req(query("SELECT now()"), 30);
  c.resp(complete("SELECT 1") + ready(), 40);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "EXECUTE");
  EXPECT_EQ(c.records[0].detail, "DELETE 1");
  EXPECT_EQ(c.records[1].method, "SELECT");
}

TEST(PostgresParser, LargeResultSetWithUncapturedTails) {
  Conn c = connected();
  c.req(query("SELECT * FROM big"), 100);
  std::string resp = row_description({"id", "payload"});
  for (int i = 0; i < 10000; ++i)
    resp += data_row({std::to_string(i), std::string(40 + i % 7, 'x')});
  resp += complete("SELECT 10000") + ready();
  // The server writes 8 KiB at a time; only 300 bytes of each are captured.
  uint64_t ts = 200;
  std::size_t chunks = 0;
  for (std::size_t off = 0; off < resp.size(); off += 8192, ++ts, ++chunks) {
    std::size_t wire = std::min<std::size_t>(8192, resp.size() - off);
    std::size_t cap = std::min<std::size_t>(300, wire);
    if (off + wire == resp.size()) cap = wire;  // the last write is small enough to capture
    c.resp(std::string_view(resp).substr(off, cap), ts, wire);
  }
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "SELECT 10000");
  EXPECT_EQ(c.records[0].resp_bytes, resp.size());
  EXPECT_EQ(c.records[0].end_ns, ts - 1);
  EXPECT_GT(c.parser->stats().resyncs, 0u);
  // The connection keeps working afterwards.
  c.req(query("SELECT 2"), 1000);
  c.resp(complete("SELECT 1") + ready(), 1001);
  ASSERT_EQ(c.records.size(), 2u);
}

TEST(PostgresParser, LongQueryWithUncapturedTail) {
  Conn c = connected();
  std::string text = "INSERT INTO t VALUES ('" + std::string(100000, 'a') + "')";
  std::string q = query(text);
  c.req(std::string_view(q).substr(0, 4096), 10, q.size());
  c.resp(complete("INSERT 0 1") + ready(), 20);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "INSERT");
  EXPECT_EQ(c.records[0].req_bytes, q.size());
  EXPECT_EQ(c.records[0].path, "INSERT INTO t VALUES (?");  // unterminated literal masked
}

TEST(PostgresParser, KeepLiteralsOption) {
  auto p = loupe::postgres::make_parser(loupe::Role::Client, {.keep_literals = true});
  std::vector<Record> out;
  std::string q = query("SELECT 'secret'");
  std::string resp = complete("SELECT 1") + ready();
  p->feed({loupe::Direction::Egress, 1, q, q.size()}, out);
  p->feed({loupe::Direction::Ingress, 2, resp, resp.size()}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, "SELECT 'secret'");
  EXPECT_EQ(out[0].route, "SELECT ?");
}

TEST(PostgresParser, MalformedInputNeverCrashes) {
  Conn c = connected();
  c.req(std::string("\xff\xff\xff\xff\xff garbage \x00\x01", 16), 10);
  c.req(std::string("Q\xff\xff\xff\xf0", 5), 11);        // negative length
  c.req(std::string("Q\x7f\xff\xff\xff", 5) + "x", 12);  // huge length
  c.resp(std::string("D\x00\x00\x00\x01zzzz", 9), 13);   // length below minimum
  c.resp(std::string(5000, '\0'), 14);
  EXPECT_TRUE(c.records.empty());
  EXPECT_GT(c.parser->stats().parse_errors, 0u);
  // A clean exchange afterwards is found again.
  c.req(query("SELECT 3"), 20);
  c.resp(complete("SELECT 1") + ready(), 21);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].route, "SELECT ?");
}

TEST(PostgresParser, CloseFlushesAndCountsUnanswered) {
  Conn c = connected();
  c.req(query("SELECT pg_sleep(100)"), 10);
  c.parser->close(20, c.records);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.parser->stats().unmatched, 1u);
}

TEST(PostgresParser, MidStreamReplyTailIsSkipped) {
  Conn c;
  const std::string tail = (data_row({"abc"}) + complete("SELECT 1") + ready()).substr(3);
  c.resp(tail, 1);
  c.req(query("SELECT 2"), 2);
  c.resp(complete("SELECT 1") + ready(), 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

TEST(PostgresParser, StoredStatementTextIsBounded) {
  Conn c = connected();
  std::string text = "SELECT * FROM t WHERE a IN (" + std::string(20000, '1') + ")";
  c.req(parse("big", text) + sync_msg(), 1);
  c.resp(parse_complete() + ready(), 2);
  c.req(bind("", "big") + execute("") + sync_msg(), 3);
  c.resp(bind_complete() + complete("SELECT 0") + ready(), 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "SELECT");
  EXPECT_LE(c.records[0].path.size(), loupe::sql::kMaxPath);
  EXPECT_EQ(c.records[0].path, "SELECT * FROM t WHERE a IN (?");
}

TEST(PostgresParser, ExtendedBatchEverySplitPoint) {
  const std::string req = parse("", "SELECT name FROM users WHERE id = $1") + bind("", "", {"7"}) +
                          describe_portal("") + execute("") + sync_msg();
  const std::string resp = parse_complete() + bind_complete() + row_description({"name"}) +
                           data_row({"x"}) + complete("SELECT 1") + ready();
  Conn whole = connected();
  whole.req(req, 100);
  whole.resp(resp, 200);
  ASSERT_EQ(whole.records.size(), 1u);
  for (std::size_t i = 1; i < resp.size(); ++i) {
    Conn c = connected();
    c.req(std::string_view(req).substr(0, i % req.size()), 100);
    if (i % req.size()) c.req(std::string_view(req).substr(i % req.size()), 100);
    c.resp(std::string_view(resp).substr(0, i), 200);
    c.resp(std::string_view(resp).substr(i), 200);
    ASSERT_EQ(c.records.size(), 1u) << i;
    expect_same(c.records[0], whole.records[0]);
  }
}
