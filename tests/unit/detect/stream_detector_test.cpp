// StreamDetector: every protocol is recognised whatever the split of its
// first bytes (one byte per syscall included), the held bytes reach the
// parser unchanged, and what no module claims is given up within bounds.
#include "protocols/stream_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loupe {
namespace {

using namespace std::string_literals;

struct Case {
  const char* name;
  Protocol protocol;
  Role role;
  Direction dir;  // of the first bytes
  std::string first;
};

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string postgres_startup() {
  std::string params = "user\0alice\0database\0shop\0\0"s;
  return be32(static_cast<uint32_t>(8 + params.size())) + be32(196608) + params;
}

std::string mysql_greeting() {
  std::string payload = "\x0a"s + "8.0.36\0"s + std::string(4, '\x01') + "abcdefgh\0"s +
                        std::string(20, '\0') + "mysql_native_password\0"s;
  auto n = payload.size();
  return std::string{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                     '\0'} +
         payload;
}

std::string dns_tcp_query() {
  std::string msg = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"s +
                    "\x07"
                    "example\x03"
                    "com\x00"s +
                    "\x00\x01\x00\x01"s;
  return std::string{static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size())} + msg;
}

std::vector<Case> cases() {
  return {
      {"http_request", Protocol::Http1, Role::Server, Direction::Ingress,
       "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"http_token_method", Protocol::Http1, Role::Server, Direction::Ingress,
       "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"http_leading_crlf", Protocol::Http1, Role::Server, Direction::Ingress,
       "\r\n\r\nPOST /b HTTP/1.0\r\n\r\n"},
      {"http_response", Protocol::Http1, Role::Client, Direction::Ingress,
       "HTTP/1.1 200 OK\r\n\r\n"},
      {"postgres_startup", Protocol::Postgres, Role::Client, Direction::Egress, postgres_startup()},
      {"mysql_greeting", Protocol::Mysql, Role::Client, Direction::Ingress, mysql_greeting()},
      {"redis_array", Protocol::Redis, Role::Client, Direction::Egress,
       "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
      {"redis_inline", Protocol::Redis, Role::Server, Direction::Ingress, "PING\r\n"},
      {"memcached_set", Protocol::Memcached, Role::Client, Direction::Egress,
       "set k 0 0 5\r\nhello\r\n"},
      {"nats_greeting", Protocol::Nats, Role::Client, Direction::Ingress,
       "INFO {\"server_id\":\"x\"}\r\n"},
      {"amqp_header", Protocol::Amqp, Role::Server, Direction::Ingress,
       std::string("AMQP\0\0\x09\x01", 8)},
      {"amqp_heartbeat_mid_connection", Protocol::Amqp, Role::Client, Direction::Egress,
       std::string("\x08\0\0\0\0\0\0\xCE", 8)},
      {"dns_tcp", Protocol::Dns, Role::Client, Direction::Egress, dns_tcp_query()},
      {"http2_preface", Protocol::Http2, Role::Server, Direction::Ingress,
       "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"s + std::string("\0\0\0\4\0\0\0\0\0", 9)},
  };
}

// Feeds `bytes` in pieces of `step` bytes (the last one shorter).
StreamDetector::State feed_in_pieces(StreamDetector& d, const Case& c, size_t step) {
  StreamDetector::State s = StreamDetector::State::Detecting;
  uint64_t ts = 1;
  for (size_t i = 0; i < c.first.size() && s == StreamDetector::State::Detecting; i += step) {
    std::string_view piece = std::string_view(c.first).substr(i, step);
    s = d.feed({c.dir, ts++, piece, piece.size()});
  }
  return s;
}

TEST(StreamDetector, EveryProtocolOneBytePerSegment) {
  for (const Case& c : cases()) {
    // Ports that hint at nothing: the bytes alone decide.
    StreamDetector d(c.role, 40000, 40001, false);
    ASSERT_EQ(feed_in_pieces(d, c, 1), StreamDetector::State::Detected) << c.name;
    EXPECT_EQ(d.protocol(), c.protocol) << c.name;
    // What was held is exactly what came, in order, one segment per feed.
    std::string replayed;
    for (const Segment& s : d.held()) {
      EXPECT_EQ(s.dir, c.dir);
      EXPECT_EQ(s.length, s.bytes.size());
      replayed += s.bytes;
    }
    EXPECT_EQ(replayed, c.first.substr(0, replayed.size())) << c.name;
    EXPECT_FALSE(replayed.empty());
  }
}

TEST(StreamDetector, EveryProtocolEverySplitPoint) {
  for (const Case& c : cases()) {
    for (size_t step = 2; step <= c.first.size(); ++step) {
      StreamDetector d(c.role, 40000, 40001, false);
      ASSERT_EQ(feed_in_pieces(d, c, step), StreamDetector::State::Detected)
          << c.name << " step " << step;
      EXPECT_EQ(d.protocol(), c.protocol) << c.name << " step " << step;
    }
  }
}

TEST(StreamDetector, UnknownRoleIsTakenFromTheBytes) {
  Case c = cases()[0];
  StreamDetector d(Role::Unknown, 40000, 40001, false);
  ASSERT_EQ(feed_in_pieces(d, c, 1), StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Http1);
  EXPECT_EQ(d.role(), Role::Server);  // a request read by the process
}

TEST(StreamDetector, GarbageIsGivenUpAfterFewRejections) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  std::string garbage = "\xff\xfe\xfd\xfc\xfb\xfa"s;
  StreamDetector::State s = StreamDetector::State::Detecting;
  size_t fed = 0;
  while (s == StreamDetector::State::Detecting && fed < 1000) {
    char ch = garbage[fed++ % garbage.size()];
    s = d.feed({Direction::Ingress, 1, std::string_view(&ch, 1), 1});
  }
  EXPECT_EQ(s, StreamDetector::State::Undetected);
  // Every module rejects such bytes within a few of them.
  EXPECT_LE(fed, 8 * StreamDetector::Limits{}.max_rejections);
  EXPECT_TRUE(d.held().empty());  // given up: nothing kept
  EXPECT_EQ(d.memory_bytes(), 0u);
  // In whole segments, each rejected segment counts once.
  StreamDetector e(Role::Server, 40000, 40001, false);
  for (uint32_t i = 1; i < StreamDetector::Limits{}.max_rejections; ++i)
    EXPECT_EQ(e.feed({Direction::Ingress, i, garbage, garbage.size()}),
              StreamDetector::State::Detecting);
  EXPECT_EQ(e.feed({Direction::Ingress, 9, garbage, garbage.size()}),
            StreamDetector::State::Undetected);
}

TEST(StreamDetector, UndecidedBytesAreBoundedAndGivenUp) {
  StreamDetector::Limits limits;
  limits.max_bytes = 64;
  StreamDetector d(Role::Server, 40000, 40001, false, limits);
  // A token method with a request line that never ends.
  std::string line = "FOO /" + std::string(200, 'a');
  StreamDetector::State s = d.feed({Direction::Ingress, 1, line.substr(0, 30), 30});
  EXPECT_EQ(s, StreamDetector::State::Detecting);
  s = d.feed({Direction::Ingress, 2, std::string_view(line).substr(30), line.size() - 30});
  EXPECT_EQ(s, StreamDetector::State::Undetected);
}

TEST(StreamDetector, CloseWhileUndecidedGivesUp) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  EXPECT_EQ(d.feed({Direction::Ingress, 1, "GE", 2}), StreamDetector::State::Detecting);
  EXPECT_EQ(d.finish(), StreamDetector::State::Undetected);
}

TEST(StreamDetector, PortModuleStillUndecidedIsWaitedFor) {
  // On Redis's port, "GET k" may become an inline Redis command: HTTP's
  // early match waits for Redis to decide.
  StreamDetector d(Role::Server, 6379, 40001, false);
  EXPECT_EQ(d.feed({Direction::Ingress, 1, "GET k", 5}), StreamDetector::State::Detecting);
  EXPECT_EQ(d.feed({Direction::Ingress, 2, "\r\n", 2}), StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Redis);
  // Closed before Redis could decide: the lower-priority match is taken.
  StreamDetector e(Role::Server, 6379, 40001, false);
  EXPECT_EQ(e.feed({Direction::Ingress, 1, "GET /", 5}), StreamDetector::State::Detecting);
  EXPECT_EQ(e.finish(), StreamDetector::State::Detected);
  EXPECT_EQ(e.protocol(), Protocol::Http1);
}

TEST(StreamDetector, UncapturedGapStopsTheWindow) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  // "GE" captured of 100 bytes: the rest can never be judged.
  EXPECT_NE(d.feed({Direction::Ingress, 1, "GE", 100}), StreamDetector::State::Detected);
  // A later segment starts a new window and is recognised.
  EXPECT_EQ(d.feed({Direction::Ingress, 2, "GET / HTTP/1.1\r\n\r\n", 18}),
            StreamDetector::State::Detected);
  EXPECT_EQ(d.held().size(), 2u);  // the gap segment is replayed too, for the parser to skip
}

TEST(StreamDetector, DatagramsAreJudgedAlone) {
  std::string q = dns_tcp_query().substr(2);  // the same message as a UDP datagram
  StreamDetector d(Role::Client, 40000, 53, true);
  EXPECT_EQ(d.feed({Direction::Egress, 1, q, q.size()}), StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Dns);
  // Halves of a datagram are not a message.
  StreamDetector e(Role::Client, 40000, 40001, true);
  std::string_view half = std::string_view(q).substr(0, 10);
  EXPECT_EQ(e.feed({Direction::Egress, 1, half, half.size()}), StreamDetector::State::Detecting);
}

}  // namespace
}  // namespace loupe
