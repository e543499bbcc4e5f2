#include <gtest/gtest.h>

#include "nats_test_util.h"
#include "protocols/registry.h"

namespace loupe::nats::testing {
namespace {

TEST(NatsDetect, GreetingOrConnect) {
  EXPECT_EQ(detect(kInfo, Direction::Egress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(kInfo, Direction::Ingress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(kConnect, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("INF", Direction::Ingress, Role::Client), Detection::NeedMore);
  EXPECT_EQ(detect("CONNECT", Direction::Egress, Role::Client), Detection::NeedMore);
  // The greeting comes from the server, CONNECT from the client.
  EXPECT_EQ(detect(kInfo, Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(kConnect, Direction::Ingress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect("INFO\r\n", Direction::Egress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Egress, Role::Client), Detection::NoMatch);
}

TEST(NatsDetect, RegisteredBesideRedis) {
  // Redis's inline INFO comes from clients; NATS's INFO { from the server.
  EXPECT_EQ(detect_protocol(kInfo, Direction::Ingress, Role::Client, 40000, 40001).protocol,
            Protocol::Nats);
  EXPECT_EQ(detect_protocol("INFO\r\n", Direction::Egress, Role::Client, 40000, 40001).protocol,
            Protocol::Redis);
  EXPECT_NE(loupe::make_parser(Protocol::Nats, Role::Server), nullptr);
}

}  // namespace
}  // namespace loupe::nats::testing
