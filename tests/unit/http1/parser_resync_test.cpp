#include <gtest/gtest.h>

#include <random>

#include "http1_test_util.h"

namespace loupe::http1::testing {
namespace {

TEST(Http1Resync, MidStreamStartInRequestBody) {
  Conn c;
  // The parser starts inside a JSON request body; the next request follows
  // without a newline in between.
  c.req(std::string("rs\":[1,2,3]}") + get("/after"), 1);
  EXPECT_EQ(c.stats().resyncs, 1u);
  c.resp(ok("1"), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "/after");
}

TEST(Http1Resync, WhatAResyncKeptGoesOnceTheMessageIsFound) {
  // Every traced connection has a parser: what resynchronising needs is
  // held only while searching, and an idle parser is small.
  Conn c, clean;
  const size_t idle = c.parser->memory_bytes();
  EXPECT_LE(idle, 512u);
  c.req("tail of a body that is not a message start ", 1);
  EXPECT_EQ(c.stats().resyncs, 1u);
  EXPECT_GT(c.parser->memory_bytes(), idle);  // still searching: the tail is kept
  c.req(get("/after"), 2);
  c.resp(ok("1"), 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "/after");
  // As much as a parser that never lost its place, after the same exchange.
  clean.req(get("/after"), 2);
  clean.resp(ok("1"), 3);
  EXPECT_EQ(c.parser->memory_bytes(), clean.parser->memory_bytes());
}

TEST(Http1Resync, MidStreamStartInResponseDropsUnmatchedResponse) {
  Conn c;
  c.resp("tail of some body\r\n", 1);
  EXPECT_EQ(c.stats().resyncs, 1u);
  c.resp(kNginxOk, 2);  // a whole response, but its request was never seen
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.stats().unmatched, 1u);
  c.req(kCurlGet, 3);
  c.resp(kNginxOk, 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 3u);
}

TEST(Http1Resync, RequestArrivingDuringAnUnmatchedResponseIsNotPairedWithIt) {
  Conn c;
  c.resp("HTTP/1.1 200 OK\r\n\r\nclose-delimited", 1);  // no request pending
  c.req(kCurlGet, 2);
  c.close(3);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.stats().unmatched, 2u);  // the response, then the request at close
}

TEST(Http1Resync, MessageStartSplitAcrossSegmentsWhileSeeking) {
  Conn c;
  std::string stream = std::string(5000, 'z') + get("/found");
  for (size_t i = 0; i < stream.size(); i += 7) c.req(std::string_view(stream).substr(i, 7), 1);
  c.resp(ok(""), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "/found");
}

TEST(Http1Resync, GarbageThenValid) {
  Conn c;
  c.req("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage", 1);
  c.req(kCurlGet, 2);
  c.resp("\x7f\x01\x02 more garbage", 3);
  c.resp(kNginxOk, 4);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_EQ(c.stats().resyncs, 2u);
}

TEST(Http1Resync, HugeHeaderIsAParseError) {
  Conn c;
  std::string huge = "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  c.req(huge, 1);
  EXPECT_EQ(c.stats().parse_errors, 1u);
  c.req(kCurlGet, 2);
  c.resp(kNginxOk, 3);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].host, "api.example.com");
}

TEST(Http1Resync, HugeHeaderInSmallSegments) {
  Conn c;
  std::string huge = "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  for (size_t i = 0; i < huge.size(); i += 1000) c.req(std::string_view(huge).substr(i, 1000), 1);
  EXPECT_EQ(c.stats().parse_errors, 1u);
  c.req(kCurlGet, 2);
  c.resp(kNginxOk, 3);
  EXPECT_EQ(c.records.size(), 1u);
}

TEST(Http1Resync, BadContentLengths) {
  for (std::string_view cl : {"-1", "abc", "99999999999999999999999", "5, 6", "1e3", ""}) {
    Conn c;
    c.req(kCurlGet, 1);
    c.resp("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(cl) + "\r\n\r\nhello", 2);
    EXPECT_EQ(c.stats().parse_errors, 1u) << cl;
    EXPECT_TRUE(c.records.empty()) << cl;
    c.resp(kNginxOk, 3);  // the next response still pairs with the request
    EXPECT_EQ(c.records.size(), 1u) << cl;
  }
}

TEST(Http1Resync, RepeatedEqualContentLengthIsFine) {
  Conn c;
  c.req(kCurlGet, 1);
  c.resp("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok", 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.stats().parse_errors, 0u);
}

TEST(Http1Resync, InvalidChunkSize) {
  for (std::string_view size : {"zz", "-5", "fffffffffffffffffff", ";ext"}) {
    Conn c;
    c.req(kCurlGet, 1);
    c.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
               "\r\nxx\r\n0\r\n\r\n",
           2);
    EXPECT_EQ(c.stats().parse_errors, 1u) << size;
    ASSERT_EQ(c.records.size(), 1u) << size;  // delivered, cut short
    c.req(get("/n"), 3);
    c.resp(ok(""), 4);
    EXPECT_EQ(c.records.size(), 2u) << size;
  }
}

TEST(Http1Resync, MalformedStartLines) {
  Conn c;
  c.req("GET /nover\r\n\r\n", 1);                                  // HTTP/0.9 style: no version
  c.req("GET / HTTP/2.0\r\n\r\n", 2);                              // not HTTP/1
  c.req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 3);  // unframeable
  EXPECT_EQ(c.records.size(), 0u);
  EXPECT_GE(c.stats().parse_errors, 2u);  // HTTP/2.0 is skipped while seeking
  c.req(kCurlGet, 4);
  c.resp(kNginxOk, 5);
  EXPECT_EQ(c.records.size(), 1u);
}

// Random and mutated input: must not crash, hang, or throw; the parser must
// still recover on a clean exchange afterwards.
TEST(Http1Resync, RandomAndMutatedInputs) {
  std::mt19937 rng(12345);
  std::string base = std::string(kCurlGet) + std::string(kNginxChunked) + std::string(kNginxOk);
  for (int iter = 0; iter < 2000; ++iter) {
    Conn c(iter % 2 ? Role::Client : Role::Server);
    std::string data = base;
    int mutations = static_cast<int>(rng() % 8);
    for (int m = 0; m < mutations; ++m) data[rng() % data.size()] = static_cast<char>(rng());
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = 1 + rng() % 64;
      std::string_view piece = std::string_view(data).substr(pos, n);
      uint64_t length = piece.size() + (rng() % 10 == 0 ? rng() % 100 : 0);
      c.send(rng() % 2 ? Direction::Egress : Direction::Ingress, piece, pos, length);
      pos += n;
    }
    c.close(1);
    if (c.parser->finished()) continue;
    Conn fresh(c.role);
    fresh.req(kCurlGet, 1);
    fresh.resp(kNginxOk, 2);
    EXPECT_EQ(fresh.records.size(), 1u);
  }
}

}  // namespace
}  // namespace loupe::http1::testing
