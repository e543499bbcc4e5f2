#include <gtest/gtest.h>

#include "core/record_json.h"
#include "memcached_test_util.h"
#include "protocols/registry.h"

namespace loupe::memcached::testing {
namespace {

TEST(MemcachedParser, GetHitAndMiss) {
  Conn c;
  c.req("get user:42\r\n", 100);
  c.resp("VALUE user:42 0 5\r\nhello\r\nEND\r\n", 200);
  c.req("get nope\r\n", 300);
  c.resp("END\r\n", 400);
  ASSERT_EQ(c.records.size(), 2u);
  const Record& r = c.records[0];
  EXPECT_EQ(r.protocol, Protocol::Memcached);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.route, "GET");
  EXPECT_EQ(r.path, "user:42");
  EXPECT_EQ(r.detail, "hit");
  EXPECT_EQ(r.start_ns, 100u);
  EXPECT_EQ(r.end_ns, 200u);
  EXPECT_EQ(r.req_bytes, 13u);
  EXPECT_EQ(r.resp_bytes, 31u);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(c.records[1].detail, "miss");
  EXPECT_EQ(c.records[1].resp_bytes, 5u);
  EXPECT_EQ(c.parser->stats().records, 2u);
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

// Every command kind, pipelined in one segment each way.
const std::string kRequests =
    "set a 0 0 5\r\nhello\r\nadd a 0 0 1\r\nx\r\nreplace a 1 0 2\r\nhi\r\n"
    "append a 0 0 1\r\n!\r\nprepend a 0 0 1\r\n>\r\ncas a 0 0 1 99\r\ny\r\n"
    "gets a b\r\nget a a\r\nincr n 1\r\ndecr c 1\r\ntouch a 10\r\ngat 10 a\r\ndelete a\r\n"
    "ms m 2 T0\r\nab\r\nmg m v\r\nmg gone v\r\nmg m\r\nmd m\r\nma c v\r\nmn\r\n"
    "stats\r\nstats reset\r\nversion\r\nflush_all\r\n";
const std::string kReplies =
    "STORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nEXISTS\r\n"
    "VALUE a 0 4 7\r\n>hi!\r\nEND\r\nVALUE a 0 4\r\n>hi!\r\nVALUE a 0 4\r\n>hi!\r\nEND\r\n"
    "NOT_FOUND\r\n41\r\nTOUCHED\r\nVALUE a 0 4\r\n>hi!\r\nEND\r\nDELETED\r\n"
    "HD\r\nVA 2\r\nab\r\nEN\r\nHD\r\nHD\r\nVA 2\r\n12\r\nMN\r\n"
    "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\nRESET\r\nVERSION 1.6.18\r\nOK\r\n";

const std::vector<std::string> kExpected = {
    "SET a STORED", "ADD a NOT_STORED", "REPLACE a STORED", "APPEND a STORED", "PREPEND a STORED",
    "CAS a EXISTS", "GETS a 1/2 hit",   "GET a hit",        "INCR n miss",     "DECR c hit",
    "TOUCH a hit",  "GAT a hit",        "DELETE a hit",     "MS m HD",         "MG m hit",
    "MG gone miss", "MG m hit",         "MD m HD",          "MA c VA",         "MN  MN",
    "STATS  END",   "STATS  RESET",     "VERSION  VERSION", "FLUSH_ALL  OK",
};

TEST(MemcachedParser, PipelinedCommandsOfEveryKind) {
  for (Role role : {Role::Server, Role::Client}) {
    Conn c(role);
    c.req(kRequests, 1);
    c.resp(kReplies, 2);
    EXPECT_EQ(summary(c.records), kExpected);
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
    for (const Record& r : c.records) EXPECT_EQ(r.role, role);
  }
}

TEST(MemcachedParser, EverySplitPointGivesTheSameRecords) {
  for (size_t i = 0; i <= kRequests.size(); ++i) {
    Conn c;
    c.req(std::string_view(kRequests).substr(0, i), 1);
    c.req(std::string_view(kRequests).substr(i), 2);
    c.resp(kReplies, 3);
    ASSERT_EQ(summary(c.records), kExpected) << "request split at " << i;
  }
  for (size_t i = 0; i <= kReplies.size(); ++i) {
    Conn c;
    c.req(kRequests, 1);
    c.resp(std::string_view(kReplies).substr(0, i), 2);
    c.resp(std::string_view(kReplies).substr(i), 3);
    ASSERT_EQ(summary(c.records), kExpected) << "reply split at " << i;
    ASSERT_EQ(c.parser->stats().parse_errors, 0u);
  }
}

TEST(MemcachedParser, SplitTimesAndBytes) {
  // The set's line, its data block and the reply each in two syscalls.
  Conn c(Role::Client);
  c.req("set k 0 0 10\r", 10);
  c.req("\n01234", 11);
  c.req("56789\r\n", 12);
  c.resp("STOR", 20);
  c.resp("ED\r\n", 21);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 10u);
  EXPECT_EQ(c.records[0].end_ns, 21u);
  EXPECT_EQ(c.records[0].req_bytes, 26u);
  EXPECT_EQ(c.records[0].resp_bytes, 8u);
  EXPECT_EQ(c.records[0].detail, "STORED");
}

TEST(MemcachedParser, NoreplyCommandsAreRecordedWhenRead) {
  Conn c;
  c.req("set a 0 0 3 noreply\r\nabc\r\ndelete b noreply\r\nincr n 5 noreply\r\nget a\r\n", 5);
  c.resp("VALUE a 0 3\r\nabc\r\nEND\r\n", 9);
  EXPECT_EQ(summary(c.records), (std::vector<std::string>{"SET a noreply", "DELETE b noreply",
                                                          "INCR n noreply", "GET a hit"}));
  EXPECT_EQ(c.records[0].req_bytes, 26u);
  EXPECT_EQ(c.records[0].resp_bytes, 0u);
  EXPECT_EQ(c.records[0].start_ns, 5u);
  EXPECT_EQ(c.records[0].end_ns, 5u);
  EXPECT_EQ(c.records[3].end_ns, 9u);
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(MemcachedParser, ErrorsAreRecordedAsErrors) {
  Conn c;
  c.req("incr a x\r\n", 1);
  c.resp("CLIENT_ERROR invalid numeric delta argument\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].method, "INCR");
  EXPECT_EQ(c.records[0].error_code, "CLIENT_ERROR");
  EXPECT_EQ(c.records[0].error_message, "CLIENT_ERROR invalid numeric delta argument");
  EXPECT_TRUE(c.records[0].detail.empty());
  // A data length beyond memcached's item limit is no command: its reply
  // is drained, not matched.
  c.req("set k 0 0 2000000000\r\n", 3);
  c.resp("SERVER_ERROR object too large for cache\r\n", 4);
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
  c.req("get k\r\n", 5);
  c.resp("SERVER_ERROR out of memory\r\n", 6);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].error_code, "SERVER_ERROR");
}

TEST(MemcachedParser, UncapturedValueBytesAreSkipped) {
  Conn c;
  std::string head = "set big 0 0 100000\r\n";
  std::string prefix(100, 'v');
  c.req(head + prefix, 1, head.size() + 100000 + 2);
  c.resp("STORED\r\n", 2);
  c.req("get big\r\n", 3);
  std::string vhead = "VALUE big 0 100000\r\n";
  // The reply in two reads, each captured only in part.
  c.resp(vhead + prefix, 4, vhead.size() + 60000);
  c.resp(prefix, 5, 40000 + 2 + 5);
  c.req("delete big\r\n", 6);
  c.resp("DELETED\r\n", 7);
  EXPECT_EQ(summary(c.records),
            (std::vector<std::string>{"SET big STORED", "GET big hit", "DELETE big hit"}));
  EXPECT_EQ(c.records[0].req_bytes, head.size() + 100002);
  EXPECT_EQ(c.records[1].resp_bytes, vhead.size() + 100002 + 5);
  EXPECT_EQ(c.records[1].end_ns, 5u);
  EXPECT_EQ(c.parser->stats().resyncs, 0u);
}

TEST(MemcachedParser, GapThatBreaksFramingResyncsWithoutMismatch) {
  Conn c;
  std::string reqs;
  for (int i = 0; i < 50; ++i) reqs += "get k" + std::to_string(i) + "\r\n";
  c.req(std::string_view(reqs).substr(0, 30), 1, reqs.size());
  std::string reps;
  for (int i = 0; i < 50; ++i) reps += "END\r\n";
  c.resp(reps, 2);
  EXPECT_TRUE(c.records.empty());
  c.req("get after\r\n", 3);
  c.resp("END\r\n", 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "after");
  EXPECT_GE(c.parser->stats().resyncs, 1u);
}

TEST(MemcachedParser, ResyncsAfterGarbageAtTheNextSegment) {
  Conn c;
  c.req(std::string("\x01\x02garbage\r\n", 11), 1);
  c.resp("ERROR\r\n", 2);
  c.req("get k\r\n", 3);
  c.resp("END\r\n", 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "miss");
  EXPECT_EQ(c.parser->stats().resyncs, 1u);
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
}

TEST(MemcachedParser, MidStreamStartInsideAValue) {
  Conn c;
  // The capture starts inside a set's data block and inside a get's reply.
  c.req("lue bytes\r\n", 1);
  c.resp("STORED\r\n", 2);
  c.resp("tail of a value\r\nEND\r\n", 3);
  c.req("get k\r\n", 4);
  c.resp("VALUE k 0 1\r\nv\r\nEND\r\n", 5);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "k");
  EXPECT_EQ(c.records[0].start_ns, 4u);
  EXPECT_EQ(c.records[0].detail, "hit");
}

TEST(MemcachedParser, OverlongLineIsDroppedNotBuffered) {
  Conn c;
  std::string junk = "get " + std::string(10000, 'k');
  c.req(junk, 1);
  EXPECT_LT(c.parser->memory_bytes(), 10000u);
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
  c.req(junk.substr(0, 3000), 2);
  c.req(junk.substr(0, 3000), 3);
  EXPECT_LT(c.parser->memory_bytes(), 10000u);
  EXPECT_EQ(c.parser->stats().parse_errors, 2u);
}

TEST(MemcachedParser, PipelineBoundedAtFifoCapacity) {
  Conn c;
  std::string reqs;
  for (int i = 0; i < 1100; ++i) reqs += "version\r\n";
  c.req(reqs, 1);
  EXPECT_EQ(c.parser->stats().unmatched, 76u);
  EXPECT_LT(c.parser->memory_bytes(), 1024 * 1024u);
  c.parser->close(5, c.records);
  EXPECT_EQ(c.parser->stats().unmatched, 1100u);
}

TEST(MemcachedParser, QuietMetaCommandsStopMatching) {
  Conn c(Role::Client);
  c.req("mg a v\r\n", 1);
  c.resp("EN\r\n", 2);
  c.req("mg b v q\r\nmg c v q\r\nmn\r\n", 3);
  EXPECT_TRUE(c.parser->finished());
  c.resp("VA 1\r\nx\r\nMN\r\n", 4);
  EXPECT_EQ(summary(c.records), (std::vector<std::string>{"MG a miss"}));
}

TEST(MemcachedParser, QuitEndsWithoutARecord) {
  Conn c;
  c.req("get a\r\nquit\r\n", 1);
  c.resp("END\r\n", 2);
  c.parser->close(3, c.records);
  EXPECT_EQ(summary(c.records), (std::vector<std::string>{"GET a miss"}));
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(MemcachedParser, UnknownRoleLearnsDirectionFromFirstBytes) {
  Conn c(Role::Unknown);
  c.send(Direction::Egress, "get a\r\n", 1);
  c.send(Direction::Ingress, "END\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].role, Role::Client);
}

TEST(MemcachedParser, ValuesAreNeverRecorded) {
  Conn c;
  c.req("set session:1 0 0 15\r\nsecret-value-42\r\nget session:1\r\n", 1);
  c.resp("STORED\r\nVALUE session:1 0 15\r\nsecret-value-42\r\nEND\r\n", 2);
  c.req("incr visits 7\r\nms m 5 T0\r\nhush!\r\nmg m v\r\n", 3);
  c.resp("987654\r\nHD\r\nVA 5\r\nhush!\r\n", 4);
  ASSERT_EQ(c.records.size(), 5u);
  for (const Record& r : c.records) {
    std::string json;
    append_record_json(json, r);
    EXPECT_EQ(json.find("secret-value"), std::string::npos) << json;
    EXPECT_EQ(json.find("987654"), std::string::npos) << json;
    EXPECT_EQ(json.find("hush"), std::string::npos) << json;
  }
  EXPECT_EQ(c.records[2].detail, "hit");
}

TEST(MemcachedParser, BinaryKeyBecomesValidUtf8InTheAgentsRecord) {
  auto parser = loupe::make_parser(Protocol::Memcached, Role::Server);
  std::vector<Record> out;
  std::string req = "get k\xff\xc3\xa9\r\n";
  parser->feed({Direction::Ingress, 1, req, req.size()}, out);
  parser->feed({Direction::Egress, 2, "END\r\n", 5}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, "k\xef\xbf\xbd\xc3\xa9");
}

}  // namespace
}  // namespace loupe::memcached::testing
