#include <gtest/gtest.h>

#include "amqp_test_util.h"

namespace loupe::amqp::testing {
namespace {

std::string longstr(std::string_view s) { return be(s.size(), 4) + std::string(s); }

// The handshake as pika and RabbitMQ run it; start-ok carries the password.
const std::string kClientHello =
    std::string(kProtocolHeader) +
    method(0, 10, 11,
           kEmptyTable + shortstr("PLAIN") + longstr(std::string("\0guest\0s3cret", 13)) +
               shortstr("en_US")) +
    method(0, 10, 31, be(2047, 2) + be(4096, 4) + be(60, 2)) +
    method(0, 10, 40, shortstr("/") + shortstr("") + be(0, 1));
const std::string kServerHello =
    method(0, 10, 10,
           be(0, 1) + be(9, 1) + kEmptyTable + longstr("PLAIN AMQPLAIN") + longstr("en_US")) +
    method(0, 10, 30, be(2047, 2) + be(131072, 4) + be(60, 2)) + method(0, 10, 41, shortstr(""));

const std::string kBody300(300, 'b');
constexpr size_t kHeaderFrame = 23;      // a content header frame with one property
const std::string kBody5000(5000, 'c');  // two body frames at frame_max 4096

// Two channels: 1 consumes "orders", 2 publishes and gets; the server
// interleaves a delivery on 1 with a get-ok on 2, frame by frame.
const std::string kClient =
    kClientHello + channel_open(1) + channel_open(2) + queue_declare(1, "orders") +
    consume(1, "orders", "ctag1") + publish(2, "shop", "order.123", kBody5000, 4088) + kHeartbeat +
    get(2, "orders") + get(2, "idle") + close(2, 200, "bye") + close(0, 200, "Normal shutdown");
const std::string kServer =
    kServerHello + channel_open_ok(1) + channel_open_ok(2) + queue_declare_ok(1, "orders", 5, 0) +
    consume_ok(1, "ctag1") + deliver_method(1, "ctag1", 1, "shop", "order.123") +
    get_ok_method(2, "", "orders", 3) + content(1, kBody300).substr(0, kHeaderFrame) +
    content(2, "twenty bytes of body").substr(0, kHeaderFrame) +
    content(1, kBody300).substr(kHeaderFrame) +
    content(2, "twenty bytes of body").substr(kHeaderFrame) + kHeartbeat + get_empty(2) +
    close_ok(2) + close_ok(0);

const std::vector<std::string> kExpected = {
    "basic.publish shop/order.123 5000",
    "connection.open / ",
    "channel.open  ",
    "channel.open  ",
    "queue.declare orders 5 messages, 0 consumers",
    "basic.consume orders consumer ctag1",
    "basic.deliver orders 300 from shop/order.123",
    "basic.get orders 20 from amq.default/orders",
    "basic.get idle empty",
    "channel.close  ",
    "connection.close  ",
};

TEST(AmqpParser, PublishDeliverAndSynchronousMethods) {
  for (Role role : {Role::Server, Role::Client}) {
    Conn c(role);
    c.req(kClient, 10);
    c.resp(kServer, 20);
    EXPECT_EQ(summary(c.records), kExpected);
    EXPECT_EQ(c.stats().parse_errors, 0u);
    EXPECT_EQ(c.stats().unmatched, 0u);
    for (const Record& r : c.records) {
      EXPECT_EQ(r.protocol, Protocol::Amqp);
      EXPECT_EQ(r.role, role);
      EXPECT_EQ(r.host, "/");
    }
    const Record& pub = c.records[0];
    EXPECT_EQ(pub.route, "shop/order.*");
    // The method, the content header and two body frames.
    EXPECT_EQ(pub.req_bytes, publish(2, "shop", "order.123", kBody5000, 4088).size());
    EXPECT_EQ(pub.resp_bytes, 0u);
    const Record& deliver = c.records[6];
    EXPECT_EQ(deliver.route, "orders");
    EXPECT_EQ(deliver.req_bytes, 0u);
    EXPECT_EQ(deliver.resp_bytes, deliver_method(1, "ctag1", 1, "shop", "order.123").size() +
                                      content(1, kBody300).size());
    const Record& close = c.records[9];
    EXPECT_EQ(close.status, 200);
    EXPECT_FALSE(close.error);
  }
}

TEST(AmqpParser, SynchronousMethodLatencyAndBytes) {
  Conn c(Role::Client);
  c.req(channel_open(1), 5);
  c.resp(channel_open_ok(1), 7);
  c.req(queue_declare(1, "jobs"), 10);
  c.resp(queue_declare_ok(1, "jobs", 2, 1), 25);
  ASSERT_EQ(c.records.size(), 2u);
  const Record& r = c.records[1];
  EXPECT_EQ(r.method, "queue.declare");
  EXPECT_EQ(r.path, "jobs");
  EXPECT_EQ(r.start_ns, 10u);
  EXPECT_EQ(r.end_ns, 25u);
  EXPECT_EQ(r.req_bytes, queue_declare(1, "jobs").size());
  EXPECT_EQ(r.resp_bytes, queue_declare_ok(1, "jobs", 2, 1).size());
  EXPECT_EQ(r.detail, "2 messages, 1 consumers");
}

TEST(AmqpParser, EverySplitPointGivesTheSameRecords) {
  auto run = [](size_t cut_cli, size_t cut_srv) {
    Conn c;
    std::string_view cli(kClient), srv(kServer);
    c.req(cli.substr(0, cut_cli), 1);
    c.req(cli.substr(cut_cli), 2);
    c.resp(srv.substr(0, cut_srv), 3);
    c.resp(srv.substr(cut_srv), 4);
    EXPECT_EQ(c.stats().parse_errors, 0u);
    return summary(c.records);
  };
  ASSERT_EQ(run(kClient.size(), kServer.size()), kExpected);
  for (size_t i = 0; i <= kClient.size(); ++i) ASSERT_EQ(run(i, kServer.size()), kExpected) << i;
  for (size_t i = 0; i <= kServer.size(); ++i) ASSERT_EQ(run(kClient.size(), i), kExpected) << i;
}

TEST(AmqpParser, OneByteSegments) {
  Conn c(Role::Client);
  for (char b : kClient) c.req(std::string_view(&b, 1), 1);
  for (char b : kServer) c.resp(std::string_view(&b, 1), 2);
  EXPECT_EQ(summary(c.records), kExpected);
}

TEST(AmqpParser, ChannelCloseAnswersAFailedRequest) {
  Conn c(Role::Client);
  c.req(channel_open(3), 1);
  c.resp(channel_open_ok(3), 2);
  c.req(queue_declare(3, "missing", 1 /* passive */), 10);
  c.resp(close(3, 404, "NOT_FOUND - no queue 'missing' in vhost '/'"), 30);
  c.req(close_ok(3), 31);
  // The error on a channel without a request: publishing to a missing exchange.
  c.req(channel_open(4), 40);
  c.resp(channel_open_ok(4), 41);
  c.req(publish(4, "nowhere", "k", "x"), 50);
  c.resp(close(4, 404, "NOT_FOUND - no exchange 'nowhere' in vhost '/'"), 60);
  c.req(close_ok(4), 70);
  ASSERT_EQ(summary(c.records),
            (std::vector<std::string>{"channel.open  ", "queue.declare missing NOT_FOUND",
                                      "channel.open  ", "basic.publish nowhere/k 1",
                                      "channel.close  NOT_FOUND"}));
  const Record& failed = c.records[1];
  EXPECT_TRUE(failed.error);
  EXPECT_EQ(failed.status, 404);
  EXPECT_EQ(failed.error_message, "NOT_FOUND - no queue 'missing' in vhost '/'");
  EXPECT_EQ(failed.end_ns, 30u);
  const Record& closed = c.records[4];
  EXPECT_EQ(closed.detail, "from server");
  EXPECT_EQ(closed.start_ns, 60u);
  EXPECT_EQ(closed.end_ns, 70u);
  EXPECT_EQ(c.stats().unmatched, 0u);
}

TEST(AmqpParser, ReturnedMessageIsAnError) {
  Conn c(Role::Client);
  c.req(publish(1, "shop", "nobody.listens", "abc"), 1);
  c.resp(method(1, 60, 50,
                be(312, 2) + shortstr("NO_ROUTE") + shortstr("shop") + shortstr("nobody.listens")) +
             content(1, "abc"),
         2);
  ASSERT_EQ(summary(c.records),
            (std::vector<std::string>{"basic.publish shop/nobody.listens 3",
                                      "basic.return shop/nobody.listens NO_ROUTE"}));
  EXPECT_EQ(c.records[1].status, 312);
  EXPECT_EQ(c.records[1].detail, "3");
}

TEST(AmqpParser, NoWaitMethodsAreOneWay) {
  Conn c;
  c.req(queue_declare(1, "fast", 1 << 4) + consume(1, "fast", "t1", 1 << 3), 5);
  c.resp(deliver_method(1, "t1", 1, "", "fast") + content(1, "hi"), 6);
  ASSERT_EQ(summary(c.records),
            (std::vector<std::string>{"queue.declare fast ", "basic.consume fast ",
                                      "basic.deliver fast 2 from amq.default/fast"}));
  EXPECT_EQ(c.records[0].end_ns, 5u);
}

TEST(AmqpParser, ServerNamedQueuesFold) {
  Conn c;
  c.req(queue_declare(1, ""), 1);
  c.resp(queue_declare_ok(1, "amq.gen-JzTY20BRgKO-HjmUJj0wLg", 0, 0), 2);
  c.req(publish(1, "", "amq.rabbitmq.reply-to.g1h2AA5yZXBseUAx", "r"), 3);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].path, "amq.gen-JzTY20BRgKO-HjmUJj0wLg");
  EXPECT_EQ(c.records[0].route, "amq.gen-*");
  EXPECT_EQ(c.records[1].route, "amq.default/amq.rabbitmq.reply-to");
}

TEST(AmqpParser, JoinsAnOpenConnection) {
  // No handshake, no basic.consume: the capture began mid-connection, in the
  // middle of a message (its body frame first).
  Conn c(Role::Unknown);
  c.resp(frame(kFrameBody, 1, "tail of an earlier message"), 1);
  c.resp(deliver_method(1, "ctag9", 7, "logs", "app.error") + content(1, "boom"), 2);
  c.req(publish(1, "logs", "app.info", "ok"), 3);
  c.resp(queue_declare_ok(1, "x", 0, 0), 4);  // the answer to a request never seen
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "basic.deliver");
  EXPECT_EQ(c.records[0].path, "");  // the consumer's queue is unknown
  EXPECT_EQ(c.records[0].route, "basic.deliver");
  EXPECT_EQ(c.records[0].detail, "4 from logs/app.error");
  // resp() is Egress for Role::Unknown: the traced process writes deliveries.
  EXPECT_EQ(c.records[0].role, Role::Server);
  EXPECT_EQ(c.records[1].method, "basic.publish");
  EXPECT_EQ(c.stats().parse_errors, 0u);
}

TEST(AmqpParser, UncapturedBodyTailsAreSkipped) {
  Conn c;
  const std::string big(100000, 'z');
  std::string wire = publish(1, "media", "upload", big);
  // The capture kept 8 KiB of the syscall: the rest of the body frame and its end octet.
  c.req(std::string_view(wire).substr(0, 8192), 1, wire.size());
  c.req(publish(1, "media", "small", "s"), 2);
  ASSERT_EQ(summary(c.records), (std::vector<std::string>{"basic.publish media/upload 100000",
                                                          "basic.publish media/small 1"}));
  EXPECT_EQ(c.records[0].req_bytes, wire.size());
  EXPECT_EQ(c.stats().resyncs, 0u);
}

TEST(AmqpParser, GapPastAFrameLosesFramingUntilTheNextSegment) {
  Conn c;
  std::string two = publish(1, "a", "b", "12345") + publish(1, "a", "c", "6789");
  c.req(std::string_view(two).substr(0, 20), 1, two.size());
  c.req(publish(1, "a", "d", "x"), 2);
  ASSERT_EQ(summary(c.records), (std::vector<std::string>{"basic.publish a/d 1"}));
  EXPECT_EQ(c.stats().resyncs, 1u);
  EXPECT_EQ(c.stats().unmatched, 1u);  // the publish whose body was not seen
}

TEST(AmqpParser, MalformedFramesAreCountedAndSkipped) {
  Conn c;
  std::string bad_end = publish_method(1, "a", "b");
  bad_end.back() = 'X';
  c.req(bad_end, 1);
  c.req(std::string("\x09\x00\x00\x00\x00\x00\x00\xCE", 8), 2);   // unknown frame type
  c.req(frame(kFrameHeartbeat, 5, "xx"), 3);                      // heartbeat with a payload
  c.req(be(kFrameBody, 1) + be(1, 2) + be(1u << 30, 4), 4);       // larger than frame_max
  c.req(method(1, 60, 99), 5);                                    // unknown method: framing holds
  c.resp(method(1, 60, 60, shortstr("t")) + content(1, "x"), 6);  // arguments cut short
  c.req(deliver_method(1, "t", 1, "a", "b"), 7);                  // basic.deliver from a client
  c.req(publish(1, "a", "ok", "fine"), 8);
  EXPECT_EQ(summary(c.records).back(), "basic.publish a/ok 4");
  EXPECT_EQ(c.stats().parse_errors, 7u);
  EXPECT_EQ(c.stats().resyncs, 4u);
}

TEST(AmqpParser, StateStaysBounded) {
  Conn c;
  const size_t fresh = c.parser->memory_bytes();
  // Requests never answered on every channel, and consumers without end.
  for (uint32_t ch = 1; ch <= 2000; ++ch) {
    c.req(queue_declare(static_cast<uint16_t>(ch), "q") +
              queue_declare(static_cast<uint16_t>(ch), "q"),
          ch);
    c.req(consume(static_cast<uint16_t>(ch % 4 + 1), "q", "tag" + std::to_string(ch), 1 << 3), ch);
  }
  for (int i = 0; i < 100; ++i) c.req(queue_declare(1, "again"), 5000);
  EXPECT_LT(c.parser->memory_bytes(), fresh + 8u * 1024 * 1024);
  EXPECT_GT(c.stats().unmatched, 0u);
  c.close(6000);
  EXPECT_LT(c.parser->memory_bytes(), fresh + 4096);
}

TEST(AmqpParser, ConnectionCloseEndsEveryChannel) {
  Conn c;
  c.req(get(1, "a") + get(2, "b"), 1);
  c.req(close(0, 200, "bye"), 2);
  c.resp(close_ok(0), 3);
  ASSERT_EQ(summary(c.records), (std::vector<std::string>{"connection.close  "}));
  EXPECT_EQ(c.stats().unmatched, 2u);
  c.resp(get_empty(1), 4);  // nothing waits any more
  EXPECT_EQ(c.records.size(), 1u);
}

}  // namespace
}  // namespace loupe::amqp::testing
