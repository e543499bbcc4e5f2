#include <gtest/gtest.h>

#include "http1_test_util.h"

namespace loupe::http1::testing {
namespace {

TEST(Http1Framing, ChunkedWithExtensionsAndTrailers) {
  Conn c;
  c.req(kCurlGet, 1);
  c.resp(kNginxChunked, 2);
  c.req(get("/again"), 3);
  c.resp(ok("z"), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].resp_bytes, kNginxChunked.size());
  EXPECT_EQ(c.records[1].path, "/again");
  EXPECT_EQ(c.stats().parse_errors, 0u);
}

TEST(Http1Framing, UncapturedBodyTailIsCountedAndSkipped) {
  Conn c;
  c.req(kCurlGet, 1);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
  std::string captured = head + std::string(4000, 'b');
  // One write of the whole response, only the first 4 KiB or so captured.
  c.resp(captured, 2, head.size() + 100000);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, head.size() + 100000);
  EXPECT_EQ(c.records[0].end_ns, 2u);
  // The stream is still in step.
  c.req(get("/next"), 3);
  c.resp(ok("k"), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "/next");
  EXPECT_EQ(c.stats().parse_errors, 0u);
}

TEST(Http1Framing, UncapturedTailsAcrossSeveralReads) {
  Conn c(Role::Client);
  c.req(kCurlGet, 1);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n";
  c.resp(head + std::string(100, 'x'), 2, 16384);
  c.resp(std::string(100, 'x'), 3, 16384);
  c.resp(std::string(100, 'x'), 4, head.size() + 50000 - 2 * 16384);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, head.size() + 50000);
  EXPECT_EQ(c.records[0].end_ns, 4u);
}

TEST(Http1Framing, UncapturedChunkDataIsSkipped) {
  Conn c;
  c.req(kCurlGet, 1);
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string first = head + "2710\r\n" + std::string(100, 'x');  // 0x2710 = 10000
  c.resp(first, 2, first.size() + 9900);
  c.resp("\r\n0\r\n\r\n", 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, first.size() + 9900 + 7);
  EXPECT_EQ(c.stats().parse_errors, 0u);
}

TEST(Http1Framing, GapOverChunkSizeLineDeliversTruncatedAndResyncs) {
  Conn c;
  c.req(kCurlGet, 1);
  std::string first = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123";
  // 12 data bytes, CRLF, then a chunk-size line, all uncaptured.
  c.resp(first, 2, first.size() + 40);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_EQ(c.records[0].resp_bytes, first.size() + 40);
  EXPECT_EQ(c.stats().parse_errors, 1u);
  c.resp("more chunk bytes\r\n0\r\n\r\n", 3);
  c.req(get("/next"), 4);
  c.resp(ok("k"), 5);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "/next");
}

TEST(Http1Framing, GapInsideHeadersIsAParseError) {
  Conn c;
  std::string_view req = kCurlGet;
  c.req(req.substr(0, 20), 1, req.size());
  EXPECT_EQ(c.stats().parse_errors, 1u);
  c.resp(kNginxOk, 2);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.stats().unmatched, 1u);
  c.req(kCurlGet, 3);
  c.resp(kNginxOk, 4);
  EXPECT_EQ(c.records.size(), 1u);
}

TEST(Http1Framing, HeadResponseHasNoBody) {
  Conn c;
  c.req("HEAD /file HTTP/1.1\r\nHost: h\r\n\r\n", 1);
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n";
  c.resp(resp, 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "HEAD");
  EXPECT_EQ(c.records[0].resp_bytes, resp.size());
  c.req(get("/after"), 3);
  c.resp(ok("1"), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "/after");
}

TEST(Http1Framing, HundredContinueIsSkipped) {
  Conn c(Role::Client);
  std::string head =
      "PUT /blob HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  c.req(head, 1);
  std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  c.resp(cont, 2);
  EXPECT_TRUE(c.records.empty());
  c.req("hello", 3);
  std::string final_resp = ok("", 201);
  c.resp(final_resp, 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 201);
  EXPECT_EQ(c.records[0].req_bytes, head.size() + 5);
  EXPECT_EQ(c.records[0].resp_bytes, cont.size() + final_resp.size());
  EXPECT_EQ(c.records[0].start_ns, 1u);
  EXPECT_EQ(c.records[0].end_ns, 4u);
}

TEST(Http1Framing, NoContentAndNotModifiedHaveNoBody) {
  for (int status : {204, 304}) {
    Conn c;
    c.req(get("/a") + get("/b"), 1);
    // A stray Content-Length on 204/304 must not swallow the next response.
    std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 10\r\n\r\n";
    c.resp(r + ok("b"), 2);
    ASSERT_EQ(c.records.size(), 2u) << status;
    EXPECT_EQ(c.records[0].status, status);
    EXPECT_EQ(c.records[0].resp_bytes, r.size());
    EXPECT_EQ(c.records[1].status, 200);
  }
}

TEST(Http1Framing, UpgradeTo101FinishesTheParser) {
  Conn c;
  c.req(get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\n"), 1);
  c.resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 101);
  EXPECT_TRUE(c.parser->finished());
  c.req("\x81\x85garbage", 3);
  c.resp(kNginxOk, 4);
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.stats().parse_errors, 0u);
  EXPECT_EQ(c.stats().resyncs, 0u);
}

TEST(Http1Framing, DeclinedUpgradeContinuesAsHttp1) {
  Conn c;
  c.req(get("/", "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"), 1);
  c.resp(ok("plain"), 2);
  EXPECT_FALSE(c.parser->finished());
  c.req(get("/two"), 3);
  c.resp(ok("2"), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "/two");
}

TEST(Http1Framing, ConnectTunnelFinishes) {
  Conn c(Role::Client);
  c.req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1);
  c.resp("HTTP/1.1 200 Connection Established\r\n\r\n", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "CONNECT");
  EXPECT_EQ(c.records[0].path, "example.com:443");
  EXPECT_TRUE(c.parser->finished());
}

TEST(Http1Framing, RefusedConnectContinues) {
  Conn c(Role::Client);
  c.req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1);
  c.resp(ok("denied", 407), 2);
  EXPECT_FALSE(c.parser->finished());
  c.req(get("/x"), 3);
  c.resp(ok(""), 4);
  EXPECT_EQ(c.records.size(), 2u);
}

TEST(Http1Framing, CloseDelimitedBodyIsEmittedAtClose) {
  Conn c;
  c.req("GET /old HTTP/1.0\r\n\r\n", 1);
  c.resp("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", 2);
  c.resp("</html>", 3);
  EXPECT_TRUE(c.records.empty());
  c.close(9);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes,
            std::string_view("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
                             "\r\n<html></html>")
                .size());
  EXPECT_EQ(c.records[0].end_ns, 3u);
  EXPECT_EQ(c.stats().unmatched, 0u);
}

TEST(Http1Framing, CloseDropsPendingRequests) {
  Conn c;
  c.req(get("/a") + get("/b"), 1);
  c.close(2);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.stats().unmatched, 2u);
}

TEST(Http1Framing, PendingFifoIsBounded) {
  Conn c;
  std::string many;
  for (int i = 0; i < 200; ++i) many += get("/p");
  c.req(many, 1);
  EXPECT_EQ(c.stats().unmatched, 200u - 128u);
  c.resp(ok(""), 2);
  EXPECT_EQ(c.records.size(), 1u);
}

TEST(Http1Framing, ResponseBeforeRequestBodyEnds) {
  Conn c;
  std::string head = "POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n";
  c.req(head + "abc", 1);
  c.resp(ok("too large", 413), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].req_bytes, head.size() + 3);
  EXPECT_EQ(c.records[0].status, 413);
}

}  // namespace
}  // namespace loupe::http1::testing
