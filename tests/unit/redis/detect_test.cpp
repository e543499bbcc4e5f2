#include <gtest/gtest.h>

#include "protocols/registry.h"
#include "redis_test_util.h"

namespace loupe::redis::testing {
namespace {

TEST(RedisDetect, RespArrayCommand) {
  std::string get = command({"GET", "k"});
  EXPECT_EQ(detect(get, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(get, Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(get, Direction::Egress, Role::Unknown), Detection::Match);
  EXPECT_EQ(detect(command({"JSON.GET", "doc"}), Direction::Ingress, Role::Server),
            Detection::Match);
  // Replies are not requests.
  EXPECT_EQ(detect(get, Direction::Egress, Role::Server), Detection::NoMatch);
}

TEST(RedisDetect, ShortPrefixNeedsMore) {
  std::string get = command({"GET", "k"});
  for (size_t n = 1; n < 13; ++n)
    EXPECT_EQ(detect(get.substr(0, n), Direction::Ingress, Role::Server), Detection::NeedMore) << n;
  EXPECT_EQ(detect("PI", Direction::Ingress, Role::Server), Detection::NeedMore);
}

TEST(RedisDetect, InlineKnownCommandsOnly) {
  EXPECT_EQ(detect("PING\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("info replication\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("HELO mail.example.com\r\n", Direction::Ingress, Role::Server),
            Detection::NoMatch);
  EXPECT_EQ(detect("GET / HTTP/1.1\r\nHost: x\r\n\r\n", Direction::Ingress, Role::Server),
            Detection::NoMatch);
  EXPECT_EQ(detect("GET /", Direction::Ingress, Role::Server), Detection::NeedMore);
}

TEST(RedisDetect, NotRedis) {
  EXPECT_EQ(detect("*2\r\n:1\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("*2\r\n$3\r\n1GE\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(std::string_view("\x16\x03\x01\x02\x00", 5), Direction::Ingress, Role::Server),
            Detection::NoMatch);
}

TEST(RedisDetect, Registered) {
  EXPECT_EQ(
      detect_protocol(command({"PING"}), Direction::Ingress, Role::Server, 6379, 50000).protocol,
      Protocol::Redis);
  EXPECT_NE(loupe::make_parser(Protocol::Redis, Role::Server), nullptr);
}

}  // namespace
}  // namespace loupe::redis::testing
