// Replies whose end lies in an uncaptured tail, as a real server produces
// them: PostgreSQL flushes 8 KiB at a time, Loupe captures 4 KiB of each.
#include <gtest/gtest.h>

#include "pg_wire.h"

using namespace loupe::postgres::testing;

namespace {

Conn connected(loupe::Role role) {
  Conn c(role);
  c.req(startup("app", "shop"), 1);
  c.resp(auth(5, "salt"), 2);
  c.req(password("md5abc"), 3);
  c.resp(startup_reply(), 4);
  return c;
}

// The reply to a large SELECT, written in 8 KiB chunks of which 4 KiB are
// captured; the last chunk is longer than 4 KiB, so CommandComplete and
// ReadyForQuery are never seen. Returns the ts of the last chunk.
uint64_t large_reply_tail_lost(Conn& c, std::string* sent) {
  std::string resp = row_description({"g", "x"});
  int i = 0;
  // Rows until the last chunk is 6000 bytes long.
  while (resp.size() % 8192 < 6000 - 40 || resp.size() < 50000)
    resp += data_row({std::to_string(++i), std::string(20, 'x')});
  resp += complete("SELECT " + std::to_string(i)) + ready();
  uint64_t ts = 200;
  for (std::size_t off = 0; off < resp.size(); off += 8192, ++ts) {
    std::size_t wire = std::min<std::size_t>(8192, resp.size() - off);
    c.resp(std::string_view(resp).substr(off, std::min<std::size_t>(4096, wire)), ts, wire);
  }
  EXPECT_GT(resp.size() % 8192, 4096u);
  *sent = resp;
  return ts - 1;
}

}  // namespace

TEST(PostgresParser, ReplyEndInUncapturedTailEndsAtNextRequest) {
  for (auto role : {loupe::Role::Client, loupe::Role::Server}) {
    Conn c = connected(role);
    const std::string q = query("SELECT g, repeat('x', 20) FROM generate_series(1, 100000) g");
    c.req(q, 100);
    std::string resp;
    const uint64_t last = large_reply_tail_lost(c, &resp);
    EXPECT_TRUE(c.records.empty());
    c.req(query("SELECT 1"), 1000);  // the client spoke again: the reply had ended
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_EQ(c.records[0].route, "SELECT g, repeat(?, ?) FROM generate_series(?, ?) g");
    EXPECT_EQ(c.records[0].start_ns, 100u);
    EXPECT_EQ(c.records[0].end_ns, last);
    EXPECT_EQ(c.records[0].resp_bytes, resp.size());
    EXPECT_EQ(c.records[0].detail, "");  // the tag was not captured
    // The next exchange is framed and attributed normally.
    const std::string r2 = complete("SELECT 1") + ready();
    c.resp(r2, 1001);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[1].route, "SELECT ?");
    EXPECT_EQ(c.records[1].detail, "SELECT 1");
    EXPECT_EQ(c.records[1].resp_bytes, r2.size());
  }
}

TEST(PostgresParser, ReplyEndInUncapturedTailEndsAtTerminateOrClose) {
  {
    Conn c = connected(loupe::Role::Server);
    c.req(query("SELECT * FROM big"), 100);
    std::string resp;
    const uint64_t last = large_reply_tail_lost(c, &resp);
    c.req(std::string("X\0\0\0\4", 5), 2000);
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_EQ(c.records[0].end_ns, last);
  }
  {
    Conn c = connected(loupe::Role::Client);
    c.req(query("SELECT * FROM big"), 100);
    std::string resp;
    large_reply_tail_lost(c, &resp);
    c.parser->close(3000, c.records);
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
  }
}

TEST(PostgresParser, GapInsideReplyDoesNotEndItEarly) {
  // Framing lost mid-reply but the reply's end is captured: one record, with
  // its tag, ended by ReadyForQuery (no early finish without a request).
  Conn c = connected(loupe::Role::Client);
  c.req(query("SELECT * FROM big"), 100);
  std::string resp = row_description({"g"});
  for (int i = 0; i < 3000; ++i) resp += data_row({std::to_string(i)});
  resp += complete("SELECT 3000") + ready();
  uint64_t ts = 200;
  for (std::size_t off = 0; off < resp.size(); off += 8192, ++ts) {
    std::size_t wire = std::min<std::size_t>(8192, resp.size() - off);
    std::size_t cap = off + wire == resp.size() ? wire : std::min<std::size_t>(wire, 4096);
    c.resp(std::string_view(resp).substr(off, cap), ts, wire);
  }
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "SELECT 3000");
  EXPECT_EQ(c.records[0].resp_bytes, resp.size());
}
