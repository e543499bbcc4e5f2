// Detection then parsing, as the agent runs them, on whole conversations of
// every protocol: written one byte per syscall they give the same records
// as written one message per syscall.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../amqp/amqp_test_util.h"
#include "../dns/dns_test_util.h"
#include "../mysql/mysql_wire.h"
#include "../postgres/pg_wire.h"
#include "../redis/redis_test_util.h"
#include "protocols/stream_detector.h"

namespace loupe {
namespace {

struct Message {
  Direction dir;
  std::string bytes;
};

struct Conversation {
  const char* name;
  Protocol protocol;
  std::vector<Message> messages;  // client side: requests are Egress
};

std::vector<Conversation> conversations() {
  constexpr Direction kOut = Direction::Egress;
  constexpr Direction kIn = Direction::Ingress;
  uint32_t caps = mysql::testing::kCaps | mysql::kClientDeprecateEof;
  return {
      {"http1",
       Protocol::Http1,
       {{kOut, "PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n"},
        {kIn, "HTTP/1.1 207 Multi-Status\r\nContent-Length: 2\r\n\r\nok"}}},
      {"postgres",
       Protocol::Postgres,
       {{kOut, postgres::testing::startup("alice", "shop")},
        {kIn, postgres::testing::startup_reply()},
        {kOut, postgres::testing::query("SELECT 1")},
        {kIn, postgres::testing::row_description({"a"}) + postgres::testing::data_row({"1"}) +
                  postgres::testing::complete("SELECT 1") + postgres::testing::ready()}}},
      {"mysql",
       Protocol::Mysql,
       {{kIn, mysql::testing::greeting(caps)},
        {kOut, mysql::testing::handshake_response(caps, "shop")},
        {kIn, mysql::testing::packet(2, "\x01\x03") + mysql::testing::ok(3)},
        {kOut, mysql::testing::query("SELECT 1")},
        {kIn, mysql::testing::result_set({"a"}, {{"1"}}, true)}}},
      {"redis",
       Protocol::Redis,
       {{kOut, redis::testing::command({"GET", "k"})}, {kIn, "$1\r\nv\r\n"}}},
      {"memcached",
       Protocol::Memcached,
       {{kOut, "set k 0 0 5\r\nhello\r\nget k missing\r\n"},
        {kIn, "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n"}}},
      {"nats",
       Protocol::Nats,
       {{kIn, "INFO {\"server_id\":\"x\"}\r\n"},
        {kOut, "CONNECT {\"verbose\":false}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n"},
        {kIn, "MSG a 1 2\r\nhi\r\nPONG\r\n"}}},
      {"amqp",
       Protocol::Amqp,
       {{kOut, std::string(amqp::kProtocolHeader)},
        {kIn, amqp::testing::method(0, 10, 10, std::string(2, '\0') + amqp::testing::kEmptyTable)},
        {kOut, amqp::testing::channel_open(1) + amqp::testing::publish(1, "x", "k", "hi")},
        {kIn, amqp::testing::channel_open_ok(1)}}},
      {"dns_tcp",
       Protocol::Dns,
       {{kOut, dns::testing::tcp(dns::testing::query(7, "example.com", 1))},
        {kIn, dns::testing::tcp(
                  dns::testing::response(7, "example.com", 1, 0, {dns::testing::a(1, 2, 3, 4)}))}}},
  };
}

// Feeds the conversation in pieces of at most `step` bytes through a
// StreamDetector and the parser it picks; returns the records.
std::vector<Record> capture(const Conversation& c, size_t step) {
  StreamDetector detector(Role::Client, 40000, 40001, false);
  std::unique_ptr<ProtocolParser> parser;
  std::vector<Record> out;
  uint64_t ts = 1;
  for (const Message& m : c.messages) {
    for (size_t i = 0; i < m.bytes.size(); i += step) {
      std::string_view piece = std::string_view(m.bytes).substr(i, step);
      Segment seg{m.dir, ts++, piece, piece.size()};
      if (parser) {
        parser->feed(seg, out);
      } else if (detector.feed(seg) == StreamDetector::State::Detected) {
        EXPECT_EQ(detector.protocol(), c.protocol) << c.name;
        parser = make_parser(detector.protocol(), Role::Client);
        for (const Segment& held : detector.held()) parser->feed(held, out);
        detector.release();
      }
    }
  }
  EXPECT_NE(parser, nullptr) << c.name << " step " << step;
  if (parser) parser->close(ts, out);
  return out;
}

TEST(DetectThenParse, OneBytePerSyscallGivesTheSameRecords) {
  for (const Conversation& c : conversations()) {
    std::vector<Record> whole = capture(c, 1 << 20);
    ASSERT_FALSE(whole.empty()) << c.name;
    for (size_t step : {1, 2, 3, 5}) {
      std::vector<Record> split = capture(c, step);
      ASSERT_EQ(split.size(), whole.size()) << c.name << " step " << step;
      for (size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(split[i].protocol, c.protocol) << c.name;
        EXPECT_EQ(split[i].method, whole[i].method) << c.name << " step " << step;
        EXPECT_EQ(split[i].path, whole[i].path) << c.name << " step " << step;
        EXPECT_EQ(split[i].status, whole[i].status) << c.name << " step " << step;
        EXPECT_EQ(split[i].req_bytes, whole[i].req_bytes) << c.name << " step " << step;
        EXPECT_EQ(split[i].resp_bytes, whole[i].resp_bytes) << c.name << " step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace loupe
