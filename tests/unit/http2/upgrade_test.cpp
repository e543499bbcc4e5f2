// HTTP/1.1 `Upgrade: h2c` (RFC 7540 3.2): the connection make_parser gave
// for HTTP/1 goes on in HTTP/2, the upgraded request answered on stream 1.
#include <gtest/gtest.h>

#include "http2_test_util.h"
#include "protocols/http2/frame.h"

namespace loupe::http2::testing {
namespace {

constexpr std::string_view kUpgradeRequest =
    "GET /up HTTP/1.1\r\nHost: h2.example\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
constexpr std::string_view kSwitching =
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
const std::string kSettings = frame(4, 0, 0, "");
const std::string kSettingsAck = frame(4, 1, 0, "");
// :method GET, :scheme http, :path /, :authority a (literal, not indexed)
const std::string kGetRoot = unhex("82 86 84 01 01 61");

// A parser as the agent gets it: HTTP/1, wrapped by make_parser.
struct UpgradedConn : loupe::testing::ParserConn {
  explicit UpgradedConn(Role r) : ParserConn(loupe::make_parser(Protocol::Http1, r), r) {}
};

void play_upgrade(UpgradedConn& c) {
  c.req(kUpgradeRequest, 1);
  c.resp(kSwitching, 2);
  c.resp(kSettings + frame(1, 0x4, 1, unhex("88")) + frame(0, 0x1, 1, "hello"), 3);
  c.req(std::string(kClientPreface) + kSettings + kSettingsAck, 4);
  c.req(frame(1, 0x5, 3, kGetRoot), 5);
  c.resp(kSettingsAck + frame(1, 0x5, 3, unhex("89")), 6);  // :status 204
}

TEST(H2cUpgrade, TheUpgradedRequestIsAnsweredOnStreamOneThenHttp2GoesOn) {
  for (Role role : {Role::Server, Role::Client}) {
    UpgradedConn c(role);
    play_upgrade(c);
    ASSERT_EQ(c.records.size(), 2u) << static_cast<int>(role);
    const Record& up = c.records[0];
    EXPECT_EQ(up.protocol, Protocol::Http2);
    EXPECT_EQ(up.role, role);
    EXPECT_EQ(up.method, "GET");
    EXPECT_EQ(up.path, "/up");
    EXPECT_EQ(up.host, "h2.example");
    EXPECT_EQ(up.status, 200);
    EXPECT_EQ(up.start_ns, 1u);
    EXPECT_EQ(up.end_ns, 3u);
    EXPECT_EQ(up.req_bytes, kUpgradeRequest.size());
    // The 101 head, then stream 1's HEADERS and DATA frames.
    EXPECT_EQ(up.resp_bytes, kSwitching.size() + (9 + 1) + (9 + 5));
    const Record& next = c.records[1];
    EXPECT_EQ(next.protocol, Protocol::Http2);
    EXPECT_EQ(next.path, "/");
    EXPECT_EQ(next.host, "a");
    EXPECT_EQ(next.status, 204);
    EXPECT_EQ(c.stats().records, 2u);
    EXPECT_EQ(c.stats().unmatched, 0u);
    EXPECT_FALSE(c.parser->finished());
  }
}

TEST(H2cUpgrade, TheServersFramesReadWithThe101AreKept) {
  // A client often reads the 101 and the server's first frames at once.
  UpgradedConn c(Role::Client);
  c.req(kUpgradeRequest, 1);
  c.resp(std::string(kSwitching) + kSettings + frame(1, 0x4, 1, unhex("88")) +
             frame(0, 0x1, 1, "hello"),
         2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].protocol, Protocol::Http2);
  EXPECT_EQ(c.records[0].path, "/up");
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_EQ(c.records[0].resp_bytes, kSwitching.size() + (9 + 1) + (9 + 5));
}

TEST(H2cUpgrade, ARefusedUpgradeStaysHttp1) {
  UpgradedConn c(Role::Server);
  c.req(kUpgradeRequest, 1);
  c.resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 2);
  c.req("GET /again HTTP/1.1\r\nHost: h2.example\r\n\r\n", 3);
  c.resp("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].protocol, Protocol::Http1);
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_EQ(c.records[1].path, "/again");
  EXPECT_EQ(c.records[1].status, 404);
}

TEST(H2cUpgrade, ASwitchToAnotherProtocolEndsTheParserWithOneRecord) {
  UpgradedConn c(Role::Server);
  c.req("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 1);
  c.resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 2);
  c.resp(frame(1, 0x5, 1, unhex("88")), 3);  // not parsed: the connection is a WebSocket now
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].protocol, Protocol::Http1);
  EXPECT_EQ(c.records[0].status, 101);
  EXPECT_TRUE(c.parser->finished());
}

TEST(H2cUpgrade, SameRecordsWhenEveryHttp2SegmentArrivesByteByByte) {
  UpgradedConn whole(Role::Server);
  play_upgrade(whole);
  UpgradedConn bytes(Role::Server);
  bytes.req(kUpgradeRequest, 1);
  bytes.resp(kSwitching, 2);
  auto trickle = [&](bool request, const std::string& b, uint64_t ts) {
    for (char ch : b)
      (request ? bytes.req(std::string(1, ch), ts) : bytes.resp(std::string(1, ch), ts));
  };
  trickle(false, kSettings + frame(1, 0x4, 1, unhex("88")) + frame(0, 0x1, 1, "hello"), 3);
  trickle(true, std::string(kClientPreface) + kSettings + kSettingsAck, 4);
  trickle(true, frame(1, 0x5, 3, kGetRoot), 5);
  trickle(false, kSettingsAck + frame(1, 0x5, 3, unhex("89")), 6);
  ASSERT_EQ(bytes.records.size(), whole.records.size());
  for (size_t i = 0; i < whole.records.size(); ++i) {
    EXPECT_EQ(bytes.records[i].path, whole.records[i].path);
    EXPECT_EQ(bytes.records[i].status, whole.records[i].status);
    EXPECT_EQ(bytes.records[i].resp_bytes, whole.records[i].resp_bytes);
  }
}

}  // namespace
}  // namespace loupe::http2::testing
