#include <gtest/gtest.h>

#include "core/record_json.h"
#include "protocols/redis/command.h"
#include "protocols/registry.h"
#include "redis_test_util.h"

namespace loupe::redis::testing {
namespace {

TEST(RedisParser, GetWithBulkReply) {
  Conn c;
  std::string req = command({"get", "user:42"});
  c.req(req, 100);
  c.resp("$5\r\nhello\r\n", 250);
  ASSERT_EQ(c.records.size(), 1u);
  const Record& r = c.records[0];
  EXPECT_EQ(r.protocol, Protocol::Redis);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.route, "GET");
  EXPECT_EQ(r.path, "user:42");
  EXPECT_EQ(r.start_ns, 100u);
  EXPECT_EQ(r.end_ns, 250u);
  EXPECT_EQ(r.req_bytes, req.size());
  EXPECT_EQ(r.resp_bytes, 11u);
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.detail.empty());
  EXPECT_EQ(c.parser->stats().records, 1u);
}

TEST(RedisParser, EverySplitPointGivesTheSameRecord) {
  std::string req = command({"SET", "session:abc", "some value with spaces"});
  std::string rep = "+OK\r\n";
  std::string stream = req + rep;
  for (size_t split = 1; split < stream.size(); ++split) {
    Conn c;
    // Two segments per direction, split anywhere in the request or reply.
    if (split < req.size()) {
      c.req(std::string_view(req).substr(0, split), 10);
      c.req(std::string_view(req).substr(split), 20);
      c.resp(rep, 30);
    } else {
      size_t k = split - req.size();
      c.req(req, 10);
      if (k > 0) c.resp(std::string_view(rep).substr(0, k), 25);
      c.resp(std::string_view(rep).substr(k), 30);
    }
    ASSERT_EQ(c.records.size(), 1u) << "split " << split;
    const Record& r = c.records[0];
    EXPECT_EQ(r.method, "SET");
    EXPECT_EQ(r.path, "session:abc");
    EXPECT_EQ(r.start_ns, 10u);
    EXPECT_EQ(r.end_ns, 30u);
    EXPECT_EQ(r.req_bytes, req.size());
    EXPECT_EQ(r.resp_bytes, rep.size());
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
  }
}

TEST(RedisParser, PipelineOfHundredCommands) {
  Conn c(Role::Client);
  std::string reqs, reps;
  for (int i = 0; i < 100; ++i) {
    reqs += command({"INCR", "counter:" + std::to_string(i)});
    reps += ":" + std::to_string(i + 1) + "\r\n";
  }
  c.req(reqs, 1);
  c.resp(reps, 2);
  ASSERT_EQ(c.records.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(c.records[i].path, "counter:" + std::to_string(i));
    EXPECT_EQ(c.records[i].role, Role::Client);
    EXPECT_EQ(c.records[i].resp_bytes, (":" + std::to_string(i + 1) + "\r\n").size());
  }
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(RedisParser, PipelineBoundedAtFifoCapacity) {
  Conn c;
  std::string reqs;
  for (int i = 0; i < 1100; ++i) reqs += command({"PING"});
  c.req(reqs, 1);
  EXPECT_EQ(c.parser->stats().unmatched, 76u);
  c.parser->close(5, c.records);
  EXPECT_EQ(c.parser->stats().unmatched, 1100u);
}

// Commands keep coming while replies are read (the pending FIFO never
// empties, so it drops answered commands from its front as it goes): each
// reply still pairs with its own command.
TEST(RedisParser, RepliesPairWhileCommandsKeepComing) {
  Conn c(Role::Client);
  int sent = 0, answered = 0;
  uint64_t ts = 1;
  for (int round = 0; round < 200; ++round) {
    std::string reqs;
    for (int k = 0; k < 3; ++k, ++sent) reqs += command({"INCR", "n:" + std::to_string(sent)});
    c.req(reqs, ts++);
    std::string reps;
    for (int k = 0; k < 2; ++k, ++answered) reps += ":" + std::to_string(answered) + "\r\n";
    c.resp(reps, ts++);
  }
  ASSERT_EQ(c.records.size(), 400u);
  for (int i = 0; i < 400; ++i) {
    EXPECT_EQ(c.records[i].path, "n:" + std::to_string(i));
    EXPECT_EQ(c.records[i].resp_bytes, (":" + std::to_string(i) + "\r\n").size());
  }
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(RedisParser, WrongTypeError) {
  Conn c;
  c.req(command({"LPUSH", "mystring", "x"}), 1);
  c.resp("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].error_code, "WRONGTYPE");
  EXPECT_EQ(c.records[0].error_message,
            "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(c.records[0].status, 0);
}

TEST(RedisParser, ErrorMessageIsCut) {
  Conn c;
  c.req(command({"GET", "k"}), 1);
  c.resp("-ERR " + std::string(2000, 'x') + "\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].error_code, "ERR");
  EXPECT_EQ(c.records[0].error_message.size(), 256u);
  EXPECT_EQ(c.records[0].resp_bytes, 2007u);
}

TEST(RedisParser, NilReplies) {
  Conn c;
  c.req(command({"GET", "missing"}) + command({"BLPOP", "queue", "1"}), 1);
  c.resp("$-1\r\n*-1\r\n", 2);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].resp_bytes, 5u);
  EXPECT_EQ(c.records[1].method, "BLPOP");
  EXPECT_EQ(c.records[1].path, "queue");
  EXPECT_FALSE(c.records[1].error);
}

TEST(RedisParser, NestedArrays) {
  Conn c;
  c.req(command({"XRANGE", "stream", "-", "+"}), 1);
  std::string rep =
      "*2\r\n"
      "*2\r\n$15\r\n1526985054069-0\r\n*4\r\n$8\r\ndurationx\r\n$4\r\n1532\r\n"
      "$5\r\nevent\r\n$5\r\nclick\r\n"
      "*2\r\n$15\r\n1526985069902-0\r\n*2\r\n$4\r\nname\r\n*0\r\n";
  // The $8 "durationx" payload is 9 bytes: fix it to be well-formed first.
  rep.replace(rep.find("$8\r\ndurationx"), 13, "$9\r\ndurationx");
  c.resp(rep, 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, rep.size());
  c.req(command({"PING"}), 3);
  c.resp("+PONG\r\n", 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].method, "PING");
  EXPECT_EQ(c.records[1].path, "");
}

TEST(RedisParser, Resp3Types) {
  Conn c;
  const char* replies[] = {
      "_\r\n",
      "#t\r\n",
      ",3.14159\r\n",
      ",inf\r\n",
      "(3492890328409238509324850943850943825024385\r\n",
      "=15\r\ntxt:Some string\r\n",
      "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
      "~3\r\n+orange\r\n+apple\r\n#f\r\n",
      "*3\r\n:1\r\n%1\r\n+k\r\n_\r\n~0\r\n",
  };
  for (const char* r : replies) c.req(command({"HGETALL", "h"}), 1), c.resp(r, 2);
  ASSERT_EQ(c.records.size(), std::size(replies));
  for (size_t i = 0; i < std::size(replies); ++i) {
    EXPECT_EQ(c.records[i].resp_bytes, std::string_view(replies[i]).size()) << replies[i];
    EXPECT_FALSE(c.records[i].error);
  }
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

TEST(RedisParser, BlobError) {
  Conn c;
  c.req(command({"EVAL", "return redis.call('x')", "0"}), 1);
  c.resp("!21\r\nSYNTAX invalid syntax\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].error_code, "SYNTAX");
  EXPECT_EQ(c.records[0].error_message, "SYNTAX invalid syntax");
  EXPECT_EQ(c.records[0].path, "");  // the script is not a key
}

TEST(RedisParser, AttributeIsPartOfTheReplyNotAReply) {
  Conn c;
  c.req(command({"GET", "a"}) + command({"GET", "b"}), 1);
  std::string first = "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.19\r\n$1\r\nb\r\n,0.05\r\n";
  first += "$2\r\nv1\r\n";
  // An attribute nested inside an aggregate does not count as an element.
  std::string second = "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n";
  c.resp(first + second, 2);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].resp_bytes, first.size());
  EXPECT_EQ(c.records[1].resp_bytes, second.size());
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(RedisParser, PushIsSkippedNotMatched) {
  Conn c(Role::Client);
  c.req(command({"GET", "a"}), 1);
  // Client-side caching invalidation arrives before the reply.
  c.resp(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n", 2);
  EXPECT_TRUE(c.records.empty());
  c.resp("$1\r\nx\r\n", 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, 7u);
  EXPECT_EQ(c.records[0].end_ns, 3u);
  EXPECT_EQ(c.parser->stats().unmatched, 0u);
}

TEST(RedisParser, LargeBulkWithUncapturedTail) {
  Conn c;
  std::string value(1 << 20, 'v');
  std::string req = command({"SET", "blob", value});
  // Only the first 4 KiB of the write was captured.
  c.req(std::string_view(req).substr(0, 4096), 1, req.size());
  c.resp("+OK\r\n", 2);
  std::string rep = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  c.req(command({"GET", "blob"}), 3);
  // The reply is read in two syscalls, each captured only in part.
  c.resp(std::string_view(rep).substr(0, 100), 4, 600000);
  c.resp(std::string_view(rep).substr(600000, 100), 5, rep.size() - 600000);
  c.req(command({"DEL", "blob"}), 6);
  c.resp(":1\r\n", 7);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].method, "SET");
  EXPECT_EQ(c.records[0].path, "blob");
  EXPECT_EQ(c.records[0].req_bytes, req.size());
  EXPECT_EQ(c.records[1].method, "GET");
  EXPECT_EQ(c.records[1].resp_bytes, rep.size());
  EXPECT_EQ(c.records[1].end_ns, 5u);
  EXPECT_EQ(c.records[2].method, "DEL");
  EXPECT_EQ(c.parser->stats().resyncs, 0u);
}

TEST(RedisParser, GapThatBreaksFramingResyncsWithoutMismatch) {
  Conn c;
  std::string reqs;
  for (int i = 0; i < 50; ++i) reqs += command({"GET", "k" + std::to_string(i)});
  // A pipelined write with only its first 30 bytes captured.
  c.req(std::string_view(reqs).substr(0, 30), 1, reqs.size());
  std::string reps;
  for (int i = 0; i < 50; ++i) reps += "$2\r\nv" + std::to_string(i % 10) + "\r\n";
  c.resp(reps, 2);
  EXPECT_TRUE(c.records.empty());
  c.req(command({"GET", "after"}), 3);
  c.resp("$1\r\nz\r\n", 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "after");
  EXPECT_GE(c.parser->stats().resyncs, 1u);
}

TEST(RedisParser, MidStreamStart) {
  Conn c;
  // The capture starts inside a large SET value and inside its reply stream.
  c.req("xxxxxxxxxxxxxxxx\r\n", 1);
  c.resp("+OK\r\n", 2);
  c.resp("lue\r\n", 3);
  c.req(command({"GET", "k"}), 4);
  c.resp("$1\r\nv\r\n", 5);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "k");
  EXPECT_EQ(c.records[0].start_ns, 4u);
}

TEST(RedisParser, MalformedInputNeverMatchesWrongly) {
  Conn c;
  c.req("*2\r\n$3\r\nGET\r\n$zz\r\n", 1);
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
  c.resp("$-1\r\n", 2);
  c.resp("\x01\x02garbage", 3);
  c.req(command({"GET", "ok"}), 4);
  c.resp("$-1\r\n", 5);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "ok");
  EXPECT_EQ(c.parser->stats().parse_errors, 2u);
}

// A count, length or scalar line is read where it arrives when it arrives
// whole, else from the bytes kept of it: the same either way past the 512
// bytes a line keeps. A 600-byte count is no command; a 1,000-digit
// integer is a reply (its text is not needed).
TEST(RedisParser, LongLinesAreReadAlikeWholeOrSplit) {
  const std::string count = "*" + std::string(600, '0') + "2\r\n";
  const std::string integer = ":" + std::string(1000, '7') + "\r\n";
  for (size_t split : {size_t{0}, size_t{300}}) {
    Conn c;
    c.req(count.substr(0, split), 1);
    c.req(count.substr(split) + "$3\r\nGET\r\n$1\r\na\r\n", 2);
    c.resp("$-1\r\n", 3);
    EXPECT_EQ(c.records.size(), 0u) << split;
    EXPECT_GE(c.parser->stats().parse_errors, 1u) << split;

    Conn d;
    d.req(command({"INCR", "n"}), 1);
    d.resp(integer.substr(0, split), 2);
    d.resp(integer.substr(split), 3);
    ASSERT_EQ(d.records.size(), 1u) << split;
    EXPECT_EQ(d.records[0].path, "n");
    EXPECT_EQ(d.parser->stats().parse_errors, 0u) << split;
  }
}

TEST(RedisParser, InlineCommands) {
  Conn c;
  c.req("PING\r\n", 1);
  c.resp("+PONG\r\n", 2);
  c.req("get  mykey\r\n", 3);
  c.resp("$-1\r\n", 4);
  c.req("\r\n", 5);  // empty lines are ignored, as Redis does
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "PING");
  EXPECT_EQ(c.records[0].req_bytes, 6u);
  EXPECT_EQ(c.records[1].method, "GET");
  EXPECT_EQ(c.records[1].path, "mykey");
}

TEST(RedisParser, TwoWordCommandsAndKeylessCommands) {
  Conn c;
  c.req(command({"client", "setname", "worker-1"}), 1);
  c.req(command({"CONFIG", "GET", "maxmemory"}), 1);
  c.req(command({"OBJECT", "ENCODING", "mylist"}), 1);
  c.req(command({"AUTH", "default", "s3cret"}), 1);
  c.resp("+OK\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$9\r\nquicklist\r\n+OK\r\n", 2);
  ASSERT_EQ(c.records.size(), 4u);
  EXPECT_EQ(c.records[0].method, "CLIENT SETNAME");
  EXPECT_EQ(c.records[0].path, "");
  EXPECT_EQ(c.records[1].route, "CONFIG GET");
  EXPECT_EQ(c.records[1].path, "");
  EXPECT_EQ(c.records[2].method, "OBJECT ENCODING");
  EXPECT_EQ(c.records[2].path, "mylist");
  EXPECT_EQ(c.records[3].method, "AUTH");
  EXPECT_EQ(c.records[3].path, "");  // credentials never reach a record
}

// classify_command skips its lists for a name that starts like none of
// them (by length and first letter): every listed name, in any case, is
// still found, and names of a listed length and first letter still keep
// their key.
TEST(RedisCommand, ListedNamesAreFoundInAnyCaseOthersKeepTheirKey) {
  auto classify = [](std::string_view name, std::string_view arg1 = "k",
                     std::string_view arg2 = "x") {
    RespMessage m;
    m.type = '*';
    m.args = {name, arg1, arg2};
    m.nargs = 3;
    return classify_command(m);
  };
  for (std::string_view keyless : {"AUTH", "bgrewriteaof", "EvalSha_Ro", "lolwut", "psync",
                                   "SWAPDB", "time", "unsubscribe", "Slaveof", "ReadWrite"})
    EXPECT_EQ(classify(keyless).key, "") << keyless;
  EXPECT_EQ(classify("xinfo", "STREAM", "s1").method, "XINFO STREAM");
  EXPECT_EQ(classify("xinfo", "STREAM", "s1").key, "s1");
  EXPECT_EQ(classify("sentinel", "masters").method, "SENTINEL MASTERS");
  EXPECT_EQ(classify("ssubscribe").kind, CommandKind::ModeSwitch);
  EXPECT_EQ(classify("monitor").kind, CommandKind::ModeSwitch);
  EXPECT_EQ(classify("sync").kind, CommandKind::NoReplies);
  EXPECT_EQ(classify("Client", "reply", "skip").kind, CommandKind::NoReplies);
  // A listed length and first letter, not a listed name: keyed.
  for (std::string_view keyed : {"SCARD", "SADD", "STRLEN", "EXPIRE", "PEXPIRE", "hset", "set"})
    EXPECT_EQ(classify(keyed).key, "k") << keyed;
  EXPECT_EQ(classify("get").method, "GET");
  EXPECT_EQ(classify("").key, "k");
  EXPECT_EQ(classify("\001ECHO").method, "?ECHO");
}

TEST(RedisParser, SubscribeStopsMatching) {
  Conn c(Role::Client);
  c.req(command({"GET", "a"}) + command({"SUBSCRIBE", "news"}), 1);
  c.resp("$1\r\n1\r\n*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", 2);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].method, "SUBSCRIBE");
  EXPECT_TRUE(c.parser->finished());
  c.resp("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", 3);
  EXPECT_EQ(c.records.size(), 2u);
}

TEST(RedisParser, Resp3SubscribeConfirmationIsAPush) {
  Conn c(Role::Client);
  c.req(command({"SUBSCRIBE", "news"}), 1);
  c.resp(">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.parser->finished());
}

TEST(RedisParser, MonitorStopsMatching) {
  Conn c;
  c.req(command({"MONITOR"}), 1);
  c.resp("+OK\r\n+1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.parser->finished());
}

TEST(RedisParser, UnknownRoleLearnsDirectionFromFirstBytes) {
  Conn c(Role::Unknown);
  c.send(Direction::Egress, command({"GET", "a"}), 1);
  c.send(Direction::Ingress, "$-1\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].role, Role::Client);
}

TEST(RedisParser, BinaryKeyBecomesValidUtf8InTheAgentsRecord) {
  auto parser = loupe::make_parser(Protocol::Redis, Role::Server);
  std::vector<Record> out;
  std::string req = command({"GET", std::string_view("k\x00\xff\xc3\xa9", 5)});
  parser->feed({Direction::Ingress, 1, req, req.size()}, out);
  parser->feed({Direction::Egress, 2, "$-1\r\n", 5}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, std::string("k\x00\xef\xbf\xbd\xc3\xa9", 7));
}

TEST(RedisParser, ValuesAreNeverRecorded) {
  Conn c;
  c.req(command({"SET", "session:1", "secret-value-42"}), 1);
  c.resp("+OK\r\n", 2);
  c.req(command({"HSET", "user:7", "email", "alice@example.com"}), 3);
  c.resp(":1\r\n", 4);
  ASSERT_EQ(c.records.size(), 2u);
  for (const Record& r : c.records) {
    std::string json;
    append_record_json(json, r);
    EXPECT_EQ(json.find("secret-value"), std::string::npos) << json;
    EXPECT_EQ(json.find("alice@"), std::string::npos) << json;
  }
  EXPECT_EQ(c.records[0].path, "session:1");
}

}  // namespace
}  // namespace loupe::redis::testing
