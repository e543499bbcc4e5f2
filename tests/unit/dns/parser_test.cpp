#include <gtest/gtest.h>

#include "dns_test_util.h"
#include "protocols/dns/message.h"
#include "protocols/registry.h"

namespace loupe::dns::testing {
namespace {

const std::string kV6("\x26\x06\x28\x00\x02\x20\x00\x01\x02\x48\x18\x93\x25\xc8\x19\x46", 16);

TEST(DnsParser, UdpAQuery) {
  Conn c;
  std::string q = query(0x1a2b, "Example.COM", 1);
  std::string r = response(0x1a2b, "example.com", 1, 0, {a(93, 184, 216, 34), a(1, 2, 3, 4)});
  c.req(q, 100);
  c.resp(r, 180);
  ASSERT_EQ(c.records.size(), 1u);
  const Record& rec = c.records[0];
  EXPECT_EQ(rec.protocol, Protocol::Dns);
  EXPECT_EQ(rec.role, Role::Client);
  EXPECT_EQ(rec.method, "A");
  EXPECT_EQ(rec.path, "example.com");
  EXPECT_EQ(rec.route, "example.com");
  EXPECT_EQ(rec.status, 0);
  EXPECT_FALSE(rec.error);
  EXPECT_EQ(rec.error_code, "");
  EXPECT_EQ(rec.detail, "93.184.216.34,1.2.3.4");
  EXPECT_EQ(rec.start_ns, 100u);
  EXPECT_EQ(rec.end_ns, 180u);
  EXPECT_EQ(rec.req_bytes, q.size());
  EXPECT_EQ(rec.resp_bytes, r.size());
}

TEST(DnsParser, AaaaAndCnameChain) {
  Conn c(Role::Server);
  c.req(query(7, "www.example.com", 28), 1);
  // www.example.com CNAME edge.example.net (target written uncompressed),
  // then edge.example.net AAAA, whose owner name points at the CNAME target.
  std::string r = header(7, 0x8180, 1, 2);
  put_name(r, "www.example.com");
  put16(r, 28);
  put16(r, 1);
  put16(r, 0xC00C);
  put16(r, 5);
  put16(r, 1);
  put16(r, 0);
  put16(r, 60);
  std::string target;
  put_name(target, "edge.example.net");
  put16(r, static_cast<uint16_t>(target.size()));
  size_t target_at = r.size();
  r += target;
  put16(r, static_cast<uint16_t>(0xC000 | target_at));
  put16(r, 28);
  put16(r, 1);
  put16(r, 0);
  put16(r, 60);
  put16(r, 16);
  r += kV6;
  c.resp(r, 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "AAAA");
  EXPECT_EQ(c.records[0].role, Role::Server);
  EXPECT_EQ(c.records[0].detail, "edge.example.net,2606:2800:220:1:248:1893:25c8:1946");
}

TEST(DnsParser, CompressedCnameTarget) {
  Conn c;
  c.req(query(9, "a.example.com", 5), 1);
  std::string rdata = std::string("\x01") + "b" + std::string("\xC0\x0E", 2);  // b.example.com
  c.resp(response(9, "a.example.com", 5, 0, {{5, rdata}}), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "CNAME");
  EXPECT_EQ(c.records[0].detail, "b.example.com");
}

TEST(DnsParser, NxdomainIsAnErrorEmptyNoerrorIsNot) {
  Conn c;
  c.req(query(1, "nope.invalid", 1), 1);
  c.resp(response(1, "nope.invalid", 1, 3, {}), 2);
  c.req(query(2, "example.com", 65), 3);
  c.resp(response(2, "example.com", 65, 0, {}), 4);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].status, 3);
  EXPECT_EQ(c.records[0].error_code, "NXDOMAIN");
  EXPECT_FALSE(c.records[1].error);
  EXPECT_EQ(c.records[1].method, "HTTPS");
  EXPECT_EQ(c.records[1].detail, "");
}

TEST(DnsParser, OtherRecordsSkippedByLength) {
  Conn c;
  c.req(query(3, "example.com", 15), 1);
  std::string mx = std::string("\x00\x0a", 2) + std::string("\x04mail\xC0\x0C", 7);
  c.resp(response(3, "example.com", 15, 0, {{15, mx}, {16, "\x05hello"}, a(10, 0, 0, 1)}), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "MX");
  EXPECT_EQ(c.records[0].detail, "10.0.0.1");
}

TEST(DnsParser, AtMostSixteenAnswers) {
  Conn c;
  c.req(query(4, "many.example", 1), 1);
  std::vector<Rr> rrs;
  for (int i = 0; i < 40; ++i) rrs.push_back(a(10, 0, 0, static_cast<uint8_t>(i)));
  c.resp(response(4, "many.example", 1, 0, rrs), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(std::count(c.records[0].detail.begin(), c.records[0].detail.end(), ','), 15);
}

TEST(DnsParser, PointerLoopDoesNotHang) {
  Conn c;
  c.req(query(5, "loop.example", 1), 1);
  std::string r = header(5, 0x8180, 1, 2);
  put_name(r, "loop.example");
  put16(r, 1);
  put16(r, 1);
  size_t self = r.size();
  put16(r, static_cast<uint16_t>(0xC000 | self));  // points at itself
  put16(r, 1);
  r += std::string("\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04", 12);
  c.resp(r, 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].detail, "");

  // A two-pointer cycle in a CNAME target.
  Name n;
  std::string m = header(0, 0, 0, 0) + std::string("\x01x\xC0\x11\x01y\xC0\x0C", 8);
  size_t pos = 12;
  EXPECT_FALSE(read_name(m, pos, n));
  pos = 15;
  EXPECT_FALSE(read_name(m, pos, n));
}

TEST(DnsParser, TruncatedPackets) {
  std::string q = query(6, "trunc.example", 1);
  std::string r = response(6, "trunc.example", 1, 0, {a(1, 1, 1, 1), a(8, 8, 8, 8)});
  for (size_t n = 0; n <= r.size(); ++n) {
    Conn c;
    c.req(q, 1);
    // The datagram was whole on the wire, but only n bytes were captured.
    c.resp(std::string_view(r).substr(0, n), 2, r.size());
    if (n >= 12) {
      ASSERT_EQ(c.records.size(), 1u) << n;
      EXPECT_EQ(c.records[0].resp_bytes, r.size());
      if (n == r.size()) {
        EXPECT_EQ(c.records[0].detail, "1.1.1.1,8.8.8.8");
      }
    } else {
      EXPECT_TRUE(c.records.empty());
      EXPECT_EQ(c.parser->stats().parse_errors, 1u);
    }
  }
}

TEST(DnsParser, TcpEverySplitPoint) {
  std::string q = tcp(query(0x4242, "tcp.example.org", 1));
  std::string r = tcp(response(0x4242, "tcp.example.org", 1, 0, {a(192, 0, 2, 1)}));
  for (size_t split = 1; split < q.size(); ++split) {
    Conn c;
    c.req(q, 10);  // the first segment decides framing: send it whole
    c.resp(std::string_view(r).substr(0, std::min(split, r.size() - 1)), 20);
    c.resp(std::string_view(r).substr(std::min(split, r.size() - 1)), 30);
    c.req(std::string_view(q).substr(0, split), 40);
    c.req(std::string_view(q).substr(split), 50);
    c.resp(r, 60);
    ASSERT_EQ(c.records.size(), 2u) << split;
    EXPECT_EQ(c.records[0].end_ns, 30u);
    EXPECT_EQ(c.records[0].detail, "192.0.2.1");
    EXPECT_EQ(c.records[0].req_bytes, q.size());
    EXPECT_EQ(c.records[0].resp_bytes, r.size());
    EXPECT_EQ(c.records[1].start_ns, 40u);
    EXPECT_EQ(c.records[1].path, "tcp.example.org");
  }
}

TEST(DnsParser, TcpPipelinedQueriesInFirstWrite) {
  Conn c;
  c.req(tcp(query(20, "p.example", 1)) + tcp(query(21, "p.example", 28)), 1);
  c.resp(tcp(response(21, "p.example", 28, 0, {})) + tcp(response(20, "p.example", 1, 0, {})), 2);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].method, "AAAA");
  EXPECT_EQ(c.records[1].method, "A");
}

TEST(DnsParser, TcpLengthPrefixWrittenAlone) {
  Conn c;
  std::string q = tcp(query(8, "split.example", 28));
  c.req(std::string_view(q).substr(0, 2), 1);
  c.req(std::string_view(q).substr(2), 2);
  std::string r = tcp(response(8, "split.example", 28, 2, {}));
  c.resp(r + r.substr(0, 5), 3);  // a second, unrelated message begins
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 1u);
  EXPECT_EQ(c.records[0].error_code, "SERVFAIL");
}

TEST(DnsParser, TcpGapInsideMessageAndBrokenPrefix) {
  Conn c;
  c.req(tcp(query(10, "gap.example", 1)), 1);
  std::string r = tcp(response(10, "gap.example", 1, 0, {a(1, 2, 3, 4), a(5, 6, 7, 8)}));
  c.resp(std::string_view(r).substr(0, 40), 2, r.size());  // tail not captured
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].resp_bytes, r.size());
  // A gap that swallows a length prefix: resync on a segment starting a message.
  c.req(tcp(query(11, "x.example", 1)), 3, 1000);
  EXPECT_EQ(c.parser->stats().resyncs, 1u);
  c.req("garbage", 4);
  c.req(tcp(query(12, "y.example", 1)), 5);
  c.resp(tcp(response(12, "y.example", 1, 0, {})), 6);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "y.example");
}

TEST(DnsParser, UnmatchedResponsesAndIdReuse) {
  Conn c;
  c.resp(response(99, "stray.example", 1, 0, {}), 1);
  EXPECT_EQ(c.parser->stats().unmatched, 1u);
  c.req(query(5, "one.example", 1), 2);
  c.resp(response(5, "other.example", 1, 0, {}), 3);  // same id, other question
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.parser->stats().unmatched, 2u);
  c.req(query(5, "one.example", 1), 4);  // retransmission keeps the first send time
  c.resp(response(5, "one.example", 1, 0, {}), 5);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].start_ns, 2u);
}

TEST(DnsParser, PendingIsBoundedAndExpires) {
  Conn c;
  for (int i = 0; i < 300; ++i) c.req(query(static_cast<uint16_t>(i), "a.example", 1), 1);
  EXPECT_EQ(c.parser->stats().unmatched, 44u);
  c.resp(response(299, "a.example", 1, 0, {}), 2);
  EXPECT_EQ(c.records.size(), 1u);
  c.req(query(1000, "late.example", 1), 60'000'000'000);  // everything older expired
  EXPECT_EQ(c.parser->stats().unmatched, 44u + 255u);
  c.parser->close(60'000'000'001, c.records);
  EXPECT_EQ(c.parser->stats().unmatched, 300u);
}

TEST(DnsParser, GarbageNeverCrashes) {
  Conn c;
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xFF));
  for (size_t n = 0; n < 200; ++n) c.req(std::string_view(junk).substr(n, n), n, n + 10);
  c.parser->close(1, c.records);
  SUCCEED();
}

TEST(DnsParser, Registered) {
  EXPECT_EQ(detect_protocol(query(1, "example.com", 1), Direction::Egress, Role::Client, 40000, 53)
                .protocol,
            Protocol::Dns);
  EXPECT_NE(loupe::make_parser(Protocol::Dns, Role::Client), nullptr);
}

}  // namespace
}  // namespace loupe::dns::testing
