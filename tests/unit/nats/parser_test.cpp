#include <gtest/gtest.h>

#include <algorithm>

#include "core/record_json.h"
#include "nats_test_util.h"
#include "protocols/registry.h"

namespace loupe::nats::testing {
namespace {

TEST(NatsParser, PublishAndDelivery) {
  Conn c(Role::Client);
  c.resp(kInfo, 1);
  c.req(std::string(kConnect) + "SUB orders.created 1\r\nPUB orders.created 5\r\nhello\r\n", 2);
  c.resp("MSG orders.created 1 5\r\nhello\r\n", 3);
  ASSERT_EQ(c.records.size(), 3u);
  const Record& sub = c.records[0];
  EXPECT_EQ(sub.protocol, Protocol::Nats);
  EXPECT_EQ(sub.role, Role::Client);
  EXPECT_EQ(sub.method, "SUB");
  EXPECT_EQ(sub.path, "orders.created");
  EXPECT_EQ(sub.req_bytes, 22u);  // "SUB orders.created 1\r\n"
  const Record& pub = c.records[1];
  EXPECT_EQ(pub.method, "PUB");
  EXPECT_EQ(pub.path, "orders.created");
  EXPECT_EQ(pub.route, "orders.created");
  EXPECT_EQ(pub.detail, "5");
  EXPECT_EQ(pub.req_bytes, 29u);
  EXPECT_EQ(pub.resp_bytes, 0u);
  EXPECT_EQ(pub.start_ns, 2u);
  EXPECT_EQ(pub.end_ns, 2u);
  const Record& msg = c.records[2];
  EXPECT_EQ(msg.method, "MSG");
  EXPECT_EQ(msg.path, "orders.created");
  EXPECT_EQ(msg.detail, "5");
  EXPECT_EQ(msg.req_bytes, 0u);
  EXPECT_EQ(msg.resp_bytes, 31u);
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

// Every operation, both ways, as one segment each.
const std::string kClient =
    std::string(kConnect) +
    "SUB a.b 1\r\nSUB work q1 2\r\nPUB a.b 3\r\nabc\r\n"
    "PUB a.b _INBOX.xyz.1 0\r\n\r\nHPUB h 20 25\r\nNATS/1.0\r\nX-Y: z\r\n\r\nhello\r\n"
    "PING\r\nUNSUB 2\r\npub lower 1\r\nx\r\nPONG\r\n";
const std::string kServer =
    std::string(kInfo) +
    "MSG a.b 1 3\r\nabc\r\nMSG a.b 1 _INBOX.xyz.1 0\r\n\r\n"
    "HMSG h 3 20 25\r\nNATS/1.0\r\nX-Y: z\r\n\r\nhello\r\n"
    "PONG\r\nPING\r\n-ERR 'Permissions Violation for Publish to \"secret.x\"'\r\n";

const std::vector<std::string> kExpected = {
    "SUB a.b ",
    "SUB work queue q1",
    "PUB a.b 3",
    "PUB a.b 0",
    "HPUB h 25",
    "UNSUB work ",
    "PUB lower 1",
    "MSG a.b 3",
    "MSG a.b 0",
    "HMSG h 25",
    "PING  ",
    "PING  from server",
    "ERR secret.x Permissions Violation",
};

TEST(NatsParser, EveryOperation) {
  for (Role role : {Role::Server, Role::Client}) {
    Conn c(role);
    c.resp(kInfo, 1);
    c.req(kClient, 2);
    c.resp(std::string_view(kServer).substr(kInfo.size()), 3);
    // Client records first (one segment), then the server's.
    std::vector<std::string> got = summary(c.records);
    std::vector<std::string> want = kExpected;
    // The server's PING is answered by the client's PONG sent before it in
    // this replay, so only the client's PING pairs here; the server's waits.
    want.erase(std::find(want.begin(), want.end(), "PING  from server"));
    EXPECT_EQ(got, want);
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
    for (const Record& r : c.records) EXPECT_EQ(r.role, role);
  }
}

TEST(NatsParser, EverySplitPointGivesTheSameRecords) {
  // Each side's stream after the greeting, cut in two segments anywhere.
  auto run = [](size_t cut_cli, size_t cut_srv) {
    Conn c;
    std::string_view cli(kClient), srv(kServer);
    c.resp(kInfo, 1);
    c.req(cli.substr(0, cut_cli), 2);
    c.req(cli.substr(cut_cli), 3);
    c.resp(srv.substr(kInfo.size(), cut_srv - kInfo.size()), 4);
    c.resp(srv.substr(cut_srv), 5);
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
    return summary(c.records);
  };
  std::vector<std::string> whole = run(kClient.size(), kServer.size());
  EXPECT_EQ(whole.size(), kExpected.size() - 1);
  for (size_t i = 0; i <= kClient.size(); ++i) ASSERT_EQ(run(i, kServer.size()), whole) << i;
  for (size_t i = kInfo.size(); i <= kServer.size(); ++i)
    ASSERT_EQ(run(kClient.size(), i), whole) << i;
}

TEST(NatsParser, PingPongLatencyBothWays) {
  Conn c(Role::Client);
  c.resp(kInfo, 1);
  c.req(std::string(kConnect) + "PING\r\n", 10);
  c.resp("PONG\r\n", 25);
  c.resp("PING\r\n", 100);
  c.req("PONG\r\n", 130);
  c.resp("PONG\r\n", 140);  // unasked: ignored
  ASSERT_EQ(summary(c.records), (std::vector<std::string>{"PING  ", "PING  from server"}));
  EXPECT_EQ(c.records[0].start_ns, 10u);
  EXPECT_EQ(c.records[0].end_ns, 25u);
  EXPECT_EQ(c.records[1].start_ns, 100u);
  EXPECT_EQ(c.records[1].end_ns, 130u);
}

TEST(NatsParser, ErrorsAreRecords) {
  Conn c;
  c.resp(kInfo, 1);
  c.req(kConnect, 2);
  c.resp("-ERR 'Authorization Violation'\r\n", 3);
  c.req("PUB big 2000000\r\n", 4);
  c.resp("-ERR 'Maximum Payload Violation'\r\n", 5);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].method, "ERR");
  EXPECT_EQ(c.records[0].error_code, "Authorization Violation");
  EXPECT_EQ(c.records[0].error_message, "Authorization Violation");
  EXPECT_EQ(c.records[1].error_code, "Maximum Payload Violation");
  EXPECT_EQ(c.parser->stats().parse_errors, 0u);
}

TEST(NatsParser, UncapturedPayloadIsSkipped) {
  Conn c(Role::Client);
  std::string head = "PUB blob 100000\r\n";
  std::string prefix(100, 'p');
  c.req(head + prefix, 1, head.size() + 100000 + 2);
  c.req("PUB next 1\r\nx\r\n", 2);
  std::string mhead = "MSG blob 1 100000\r\n";
  c.resp(mhead + prefix, 3, mhead.size() + 60000);
  c.resp(prefix, 4, 40002);
  EXPECT_EQ(summary(c.records),
            (std::vector<std::string>{"PUB blob 100000", "PUB next 1", "MSG blob 100000"}));
  EXPECT_EQ(c.records[0].req_bytes, head.size() + 100002);
  EXPECT_EQ(c.records[2].resp_bytes, mhead.size() + 100002);
  EXPECT_EQ(c.records[2].end_ns, 4u);
  EXPECT_EQ(c.parser->stats().resyncs, 0u);
}

TEST(NatsParser, GarbageResyncsAtTheNextSegment) {
  Conn c;
  c.req("PUB a 3\r\nabc\r\nBOGUS x\r\nPUB b 1\r\nx\r\n", 1);
  c.req("PUB c 1\r\ny\r\n", 2);
  EXPECT_EQ(summary(c.records), (std::vector<std::string>{"PUB a 3", "PUB c 1"}));
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
  EXPECT_EQ(c.parser->stats().resyncs, 1u);
  // A gap in a line loses framing too.
  c.req("PUB d 1\r\nx\r\nPUB e", 3, 40);
  c.req("PUB f 1\r\nz\r\n", 4);
  EXPECT_EQ(summary(c.records).back(), "PUB f 1");
  EXPECT_EQ(c.parser->stats().resyncs, 2u);
}

TEST(NatsParser, OperationsFromTheWrongSideAreMalformed) {
  Conn c;
  c.req("MSG a 1 1\r\nx\r\n", 1);  // only servers deliver
  c.resp("PUB a 1\r\nx\r\n", 2);   // only clients publish
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.parser->stats().parse_errors, 2u);
}

TEST(NatsParser, OverlongLineIsDroppedNotBuffered) {
  Conn c;
  std::string junk = "PUB " + std::string(20000, 's');
  c.req(junk, 1);
  EXPECT_LT(c.parser->memory_bytes(), 20000u);
  EXPECT_EQ(c.parser->stats().parse_errors, 1u);
}

TEST(NatsParser, SubscriptionsAndPingsAreBounded) {
  Conn c;
  std::string subs;
  for (int i = 0; i < 3000; ++i)
    subs += "SUB s." + std::to_string(i) + " " + std::to_string(i) + "\r\n";
  for (int i = 0; i < 100; ++i) subs += "PING\r\n";
  c.req(subs, 1);
  EXPECT_EQ(c.records.size(), 3000u);
  EXPECT_LT(c.parser->memory_bytes(), 1024u * 1024u);
  c.req("UNSUB 2999\r\nUNSUB 5\r\n", 2);
  EXPECT_EQ(c.records[3000].path, "s.2999");
  EXPECT_EQ(c.records[3001].path, "");  // forgotten: only the last 1024 are kept
  EXPECT_EQ(c.parser->stats().unmatched, 84u);
}

TEST(NatsParser, RoutesFoldInboxesAndNumbers) {
  Conn c;
  c.req("PUB orders.1234.created 0\r\n\r\nPUB _INBOX.k3j4.77 0\r\n\r\n", 1);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].route, "orders.*.created");
  EXPECT_EQ(c.records[0].path, "orders.1234.created");
  EXPECT_EQ(c.records[1].route, "_INBOX.>");
}

TEST(NatsParser, UnknownRoleLearnsDirectionFromTheGreeting) {
  Conn c(Role::Unknown);
  c.send(Direction::Ingress, kInfo, 1);
  c.send(Direction::Egress, "PUB a 1\r\nx\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].role, Role::Client);
}

TEST(NatsParser, PayloadsAndCredentialsAreNeverRecorded) {
  Conn c;
  c.resp(kInfo, 1);
  c.req(std::string(kConnect) + "SUB s 1\r\nPUB s 12\r\nsecret-value\r\n", 2);
  c.resp("MSG s 1 12\r\nsecret-value\r\n", 3);
  ASSERT_EQ(c.records.size(), 3u);
  for (const Record& r : c.records) {
    std::string json;
    append_record_json(json, r);
    EXPECT_EQ(json.find("secret"), std::string::npos) << json;
    EXPECT_EQ(json.find("s3cret"), std::string::npos) << json;
  }
}

}  // namespace
}  // namespace loupe::nats::testing
