#include <gtest/gtest.h>

#include "dns_test_util.h"

namespace loupe::dns::testing {
namespace {

TEST(DnsDetect, UdpQueryAndResponse) {
  std::string q = query(0xbeef, "example.com", 1);
  std::string r = response(0xbeef, "example.com", 1, 0, {a(1, 2, 3, 4)});
  EXPECT_EQ(detect(q, Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(q, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(q, Direction::Ingress, Role::Unknown), Detection::Match);
  EXPECT_EQ(detect(r, Direction::Ingress, Role::Client), Detection::Match);
  // A query travelling the response way is not this protocol's shape.
  EXPECT_EQ(detect(q, Direction::Ingress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect(r, Direction::Egress, Role::Client), Detection::NoMatch);
}

TEST(DnsDetect, TcpFraming) {
  std::string q = tcp(query(1, "_ldap._tcp.dc.example", 33));
  EXPECT_EQ(detect(q, Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(q.substr(0, 2), Direction::Egress, Role::Client), Detection::NeedMore);
  // Two pipelined queries in the first write.
  EXPECT_EQ(detect(q + tcp(query(2, "example.com", 28)), Direction::Egress, Role::Client),
            Detection::Match);
  EXPECT_EQ(detect(q.substr(0, 10), Direction::Egress, Role::Client), Detection::NeedMore);
}

TEST(DnsDetect, NotDns) {
  EXPECT_EQ(detect("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", Direction::Egress, Role::Client),
            Detection::NoMatch);
  EXPECT_EQ(detect("*1\r\n$4\r\nPING\r\n", Direction::Egress, Role::Client), Detection::NoMatch);
  std::string bad = query(1, "example.com", 1);
  bad[2] = 0x28;  // opcode UPDATE
  EXPECT_EQ(detect(bad, Direction::Egress, Role::Client), Detection::NoMatch);
  bad = query(1, "example.com", 1);
  bad[5] = 9;  // 9 questions
  EXPECT_EQ(detect(bad, Direction::Egress, Role::Client), Detection::NoMatch);
}

}  // namespace
}  // namespace loupe::dns::testing
