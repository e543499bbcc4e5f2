#include "protocols/detect.h"

#include <gtest/gtest.h>

#include <string>

#include "protocols/http1/http1.h"

namespace loupe::http1 {
namespace {

TEST(Http1Detect, RequestLineInRequestDirection) {
  EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("POST /x", Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect("DELETE ", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("GE", Direction::Ingress, Role::Server), Detection::NeedMore);
  EXPECT_EQ(detect("GET", Direction::Ingress, Role::Server), Detection::NeedMore);
  // Any token is a method, recognised from its whole request line.
  EXPECT_EQ(detect("GETX /", Direction::Ingress, Role::Server), Detection::NeedMore);
  EXPECT_EQ(detect("GETX /\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("GETX / HTTP/1.1\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("get / HTTP/1.1", Direction::Ingress, Role::Server), Detection::NeedMore);
  EXPECT_EQ(detect("get / HTTP/1.1\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("GET@ / HTTP/1.1\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(std::string(40, 'A'), Direction::Ingress, Role::Server), Detection::NoMatch);
  // Empty lines before the request line (RFC 9112 2.2).
  EXPECT_EQ(detect("\r\n", Direction::Ingress, Role::Server), Detection::NeedMore);
  EXPECT_EQ(detect("\r\n\r\nPUT /", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("\x16\x03\x01", Direction::Ingress, Role::Server), Detection::NoMatch);
  // A request line in the response direction is not HTTP for this role.
  EXPECT_EQ(detect("GET / HTTP/1.1", Direction::Egress, Role::Server), Detection::NoMatch);
}

TEST(Http1Detect, StatusLineInResponseDirection) {
  EXPECT_EQ(detect("HTTP/1.1 200 OK", Direction::Egress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("HTTP/1.0", Direction::Ingress, Role::Client), Detection::Match);
  EXPECT_EQ(detect("HTTP/", Direction::Ingress, Role::Client), Detection::NeedMore);
  EXPECT_EQ(detect("HTTP/2", Direction::Ingress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect("PRI * HTTP/2.0", Direction::Ingress, Role::Client), Detection::NoMatch);
}

TEST(Http1Detect, UnknownRoleAcceptsEither) {
  for (auto dir : {Direction::Ingress, Direction::Egress}) {
    EXPECT_EQ(detect("GET / HTTP/1.1", dir, Role::Unknown), Detection::Match);
    EXPECT_EQ(detect("HTTP/1.1 200 OK", dir, Role::Unknown), Detection::Match);
    EXPECT_EQ(detect("H", dir, Role::Unknown), Detection::NeedMore);
    EXPECT_EQ(detect("*3\r\n", dir, Role::Unknown), Detection::NoMatch);
  }
}

TEST(Http1Detect, RegisteredWithTheProtocolTable) {
  EXPECT_EQ(
      detect_protocol("GET / HTTP/1.1\r\n", Direction::Ingress, Role::Server, 8080, 51234).protocol,
      Protocol::Http1);
  auto p = loupe::make_parser(Protocol::Http1, Role::Server);
  ASSERT_NE(p, nullptr);
}

}  // namespace
}  // namespace loupe::http1
