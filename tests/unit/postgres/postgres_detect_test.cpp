#include <gtest/gtest.h>

#include "pg_wire.h"
#include "protocols/detect.h"

using namespace loupe::postgres::testing;
using loupe::Detection;
using loupe::Direction;
using loupe::Role;
using loupe::postgres::detect;

TEST(PostgresDetect, StartupAndNegotiationRequests) {
  EXPECT_EQ(detect(startup("u", "d"), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(ssl_request(), Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(untyped(80877104, ""), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(untyped(80877102, be32(1) + be32(2)), Direction::Egress, Role::Client),
            Detection::Match);
}

TEST(PostgresDetect, ShortPrefixNeedsMore) {
  std::string s = startup("u", "d");
  for (std::size_t i = 1; i < 8; ++i)
    EXPECT_EQ(detect(s.substr(0, i), Direction::Egress, Role::Client), Detection::NeedMore) << i;
  EXPECT_EQ(detect("Q\0\0", Direction::Egress, Role::Client), Detection::NeedMore);
}

TEST(PostgresDetect, MidStreamFrontendMessages) {
  EXPECT_EQ(detect(query("SELECT 1"), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(parse("", "SELECT $1") + bind("", ""), Direction::Egress, Role::Client),
            Detection::Match);
  EXPECT_EQ(detect(bind("", "s1") + execute("") + sync_msg(), Direction::Egress, Role::Client),
            Detection::Match);
  EXPECT_EQ(detect(query("SELECT 1"), Direction::Egress, Role::Unknown), Detection::Match);
}

TEST(PostgresDetect, RejectsOtherProtocols) {
  for (std::string s : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string("*1\r\n$4\r\nPING\r\n"),
                        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10)}) {
    EXPECT_EQ(detect(s, Direction::Egress, Role::Client), Detection::NoMatch) << s;
  }
  // Binary junk after Q.
  EXPECT_EQ(detect(msg('Q', std::string("\x01\x02\x03\x00", 4)), Direction::Egress, Role::Client),
            Detection::NoMatch);
  // A request in the response direction is not a match.
  EXPECT_EQ(detect(query("SELECT 1"), Direction::Ingress, Role::Client), Detection::NoMatch);
}

TEST(PostgresDetect, AuthenticationInResponseDirection) {
  EXPECT_EQ(
      detect(auth(10, "SCRAM-SHA-256" + std::string(2, '\0')), Direction::Ingress, Role::Client),
      Detection::Match);
}

TEST(PostgresDetect, RegisteredWithTheDetector) {
  EXPECT_EQ(loupe::detect_protocol(startup("u", "d"), Direction::Egress, Role::Client, 40000, 5432)
                .protocol,
            loupe::Protocol::Postgres);
  EXPECT_EQ(loupe::detect_protocol(query("SELECT 1"), Direction::Egress, Role::Client, 40000, 6543)
                .protocol,
            loupe::Protocol::Postgres);
  auto p = loupe::make_parser(loupe::Protocol::Postgres, Role::Client);
  EXPECT_NE(p, nullptr);
}
