#include <gtest/gtest.h>

#include "http1_test_util.h"

namespace loupe::http1::testing {
namespace {

TEST(Http1Parser, ServerExchangeFillsEveryField) {
  Conn c(Role::Server);
  c.req(kCurlGet, 1000);
  c.resp(kNginxOk, 5000);
  ASSERT_EQ(c.records.size(), 1u);
  const Record& r = c.records[0];
  EXPECT_EQ(r.protocol, Protocol::Http1);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/users/123/orders/9f1c0a2b3c4d?expand=items");
  EXPECT_EQ(r.route, "/users/{id}/orders/{id}");
  EXPECT_EQ(r.host, "api.example.com");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(r.req_bytes, kCurlGet.size());
  EXPECT_EQ(r.resp_bytes, kNginxOk.size());
  EXPECT_EQ(r.start_ns, 1000u);
  EXPECT_EQ(r.end_ns, 5000u);
  EXPECT_TRUE(r.detail.empty());
  EXPECT_TRUE(r.comm.empty());
  EXPECT_EQ(c.stats().records, 1u);
  EXPECT_EQ(c.stats().parse_errors, 0u);
  EXPECT_EQ(c.stats().resyncs, 0u);
  EXPECT_EQ(c.stats().unmatched, 0u);
}

TEST(Http1Parser, ClientRoleUsesEgressForRequests) {
  Conn c(Role::Client);
  EXPECT_EQ(c.req_dir(), Direction::Egress);
  c.req(kCurlGet, 10);
  c.resp(kNginxOk, 20);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].role, Role::Client);
  EXPECT_EQ(c.records[0].status, 200);
  // The same bytes in the wrong directions are not HTTP for this role.
  Conn wrong(Role::Client);
  wrong.send(Direction::Ingress, kCurlGet, 10);
  wrong.send(Direction::Egress, kNginxOk, 20);
  EXPECT_TRUE(wrong.records.empty());
}

TEST(Http1Parser, StartIsFirstRequestByteEndIsLastResponseByte) {
  Conn c;
  std::string_view req = kCurlGet;
  c.req(req.substr(0, 10), 100);
  c.req(req.substr(10), 200);
  std::string_view resp = kNginxOk;
  c.resp(resp.substr(0, 30), 300);
  c.resp(resp.substr(30, 100), 400);
  c.resp(resp.substr(130), 500);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 100u);
  EXPECT_EQ(c.records[0].end_ns, 500u);
  EXPECT_EQ(c.records[0].duration_ns(), 400u);
}

TEST(Http1Parser, EverySplitPointOfRequestGivesTheSameRecord) {
  Conn whole;
  whole.req(kCurlGet, 7);
  whole.resp(kNginxOk, 9);
  ASSERT_EQ(whole.records.size(), 1u);
  for (size_t i = 1; i < kCurlGet.size(); ++i) {
    Conn c;
    c.req(kCurlGet.substr(0, i), 7);
    c.req(kCurlGet.substr(i), 7);
    c.resp(kNginxOk, 9);
    ASSERT_EQ(c.records.size(), 1u) << "split at " << i;
    const Record& a = whole.records[0];
    const Record& b = c.records[0];
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.trace_id, b.trace_id);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.req_bytes, b.req_bytes);
    EXPECT_EQ(a.resp_bytes, b.resp_bytes);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    EXPECT_EQ(c.stats().parse_errors, 0u);
  }
}

void expect_split_response_ok(std::string_view resp, int status, uint64_t bytes) {
  for (size_t i = 1; i < resp.size(); ++i) {
    Conn c;
    c.req(kCurlGet, 1);
    c.resp(resp.substr(0, i), 2);
    c.resp(resp.substr(i), 3);
    ASSERT_EQ(c.records.size(), 1u) << "split at " << i;
    EXPECT_EQ(c.records[0].status, status);
    EXPECT_EQ(c.records[0].resp_bytes, bytes);
    EXPECT_EQ(c.records[0].end_ns, 3u) << "split at " << i;
    EXPECT_EQ(c.stats().parse_errors, 0u);
    EXPECT_EQ(c.stats().resyncs, 0u);
  }
}

TEST(Http1Parser, EverySplitPointOfResponse) {
  expect_split_response_ok(kNginxOk, 200, kNginxOk.size());
  expect_split_response_ok(kNginxChunked, 200, kNginxChunked.size());
}

TEST(Http1Parser, ByteAtATime) {
  Conn c;
  for (char ch : kCurlGet) c.req(std::string_view(&ch, 1), 1);
  for (char ch : kNginxChunked) c.resp(std::string_view(&ch, 1), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, kNginxChunked.size());
  EXPECT_EQ(c.records[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Http1Parser, PipelinedRequestsMatchResponsesInOrder) {
  Conn c;
  std::string reqs = get("/a") + get("/b") + get("/c");
  c.req(reqs, 1);
  EXPECT_TRUE(c.records.empty());
  c.resp(ok("A", 200), 2);
  c.resp(ok("BB", 404) + ok("CCC", 503), 3);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records[0].path, "/a");
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_EQ(c.records[0].end_ns, 2u);
  EXPECT_EQ(c.records[1].path, "/b");
  EXPECT_EQ(c.records[1].status, 404);
  EXPECT_FALSE(c.records[1].error);
  EXPECT_EQ(c.records[2].path, "/c");
  EXPECT_EQ(c.records[2].status, 503);
  EXPECT_TRUE(c.records[2].error);
  EXPECT_EQ(c.records[2].resp_bytes, ok("CCC", 503).size());
  for (const auto& r : c.records) EXPECT_EQ(r.req_bytes, get("/a").size());
}

TEST(Http1Parser, KeepAliveSequence) {
  Conn c;
  for (int i = 0; i < 5; ++i) {
    c.req(get("/n/" + std::to_string(i)), 10 * i);
    c.resp(ok("x"), 10 * i + 5);
  }
  ASSERT_EQ(c.records.size(), 5u);
  EXPECT_EQ(c.records[4].path, "/n/4");
  EXPECT_EQ(c.records[4].route, "/n/{id}");
  EXPECT_EQ(c.records[4].start_ns, 40u);
  EXPECT_EQ(c.records[4].end_ns, 45u);
}

TEST(Http1Parser, RequestBodyByContentLength) {
  Conn c;
  std::string body(300, 'x');
  std::string req =
      "POST /api/v1/users HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
      "Content-Length: 300\r\n\r\n" +
      body;
  c.req(req.substr(0, 100), 1);
  c.req(req.substr(100), 2);
  c.resp(ok("{}", 201), 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "POST");
  EXPECT_EQ(c.records[0].route, "/api/v1/users");
  EXPECT_EQ(c.records[0].req_bytes, req.size());
  EXPECT_EQ(c.records[0].start_ns, 1u);
}

TEST(Http1Parser, ChunkedRequestBodyThenNextRequest) {
  Conn c;
  std::string req =
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\n0\r\n\r\n";
  c.req(req + get("/next"), 1);
  c.resp(ok(""), 2);
  c.resp(ok(""), 3);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].req_bytes, req.size());
  EXPECT_EQ(c.records[1].path, "/next");
}

TEST(Http1Parser, HeaderNamesAreCaseInsensitive) {
  Conn c;
  c.req(
      "GET / HTTP/1.1\r\nhOsT:   Example.org  \r\nTRACEPARENT: "
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n",
      1);
  c.resp("HTTP/1.1 200 OK\r\ncontent-LENGTH: 2\r\n\r\nok", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].host, "Example.org");
  EXPECT_EQ(c.records[0].trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(c.records[0].resp_bytes, 40u);
}

TEST(Http1Parser, InvalidTraceparentGivesEmptyTraceId) {
  Conn c;
  c.req(get("/", "traceparent: 00-XYZ-00f067aa0ba902b7-01\r\n"), 1);
  c.resp(ok(""), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].trace_id, "");
}

TEST(Http1Parser, LongPathIsCut) {
  Conn c;
  std::string path = "/" + std::string(5000, 'a');
  c.req(get(path), 1);
  c.resp(ok(""), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path.size(), 1024u);
  EXPECT_EQ(c.records[0].req_bytes, get(path).size());
}

TEST(Http1Parser, LeadingEmptyLinesAreTolerated) {
  Conn c;
  c.req("\r\n" + get("/x"), 1);
  c.resp(ok(""), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.stats().resyncs, 0u);
}

TEST(Http1Parser, BareLfLineEndings) {
  Conn c;
  c.req("GET /lf HTTP/1.0\nHost: h\n\n", 1);
  c.resp("HTTP/1.0 200 OK\nContent-Length: 1\n\nx", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].host, "h");
  EXPECT_EQ(c.records[0].resp_bytes, 36u);
}

}  // namespace
}  // namespace loupe::http1::testing
