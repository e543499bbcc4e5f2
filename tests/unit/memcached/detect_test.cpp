#include <gtest/gtest.h>

#include "memcached_test_util.h"
#include "protocols/registry.h"

namespace loupe::memcached::testing {
namespace {

TEST(MemcachedDetect, RecognisesCommandLines) {
  EXPECT_EQ(detect("get k\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("gets a b c\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("set k 0 0 5\r\nhello\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("delete k noreply\r\n", Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect("mg k v\r\n", Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect("version\r\n", Direction::Egress, Role::Unknown), Detection::Match);
}

TEST(MemcachedDetect, ShortPrefixNeedsMore) {
  std::string line = "set k 0 0 5\r\n";
  for (size_t n = 1; n < line.size(); ++n)
    EXPECT_EQ(detect(line.substr(0, n), Direction::Ingress, Role::Server), Detection::NeedMore)
        << n;
  EXPECT_EQ(detect("flush_", Direction::Ingress, Role::Server), Detection::NeedMore);
}

TEST(MemcachedDetect, NotMemcached) {
  // Replies are not requests.
  EXPECT_EQ(detect("get k\r\n", Direction::Egress, Role::Server), Detection::NoMatch);
  // Commands are lower case and case-sensitive: this is HTTP, or Redis.
  EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("GET k\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  // Wrong argument shapes for a storage command.
  EXPECT_EQ(detect("set k v\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("set k 0 0 x\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("set k 0 0 5 loud\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("get\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("get k\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("quit\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("PING", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(std::string_view("\x00\x1d\x12\x34", 4), Direction::Egress, Role::Client),
            Detection::NoMatch);
}

// A lower-case "get k" is valid Redis too: the port decides, and without a
// telling port memcached wins (Redis clients send RESP arrays). Upper case
// is never memcached.
TEST(MemcachedDetect, RegisteredBesideRedis) {
  auto detected = [](std::string_view bytes, uint16_t port) {
    return detect_protocol(bytes, Direction::Ingress, Role::Server, port, 50000).protocol;
  };
  EXPECT_EQ(detected("get k\r\n", 11211), Protocol::Memcached);
  EXPECT_EQ(detected("get k\r\n", 40000), Protocol::Memcached);
  EXPECT_EQ(detected("get k\r\n", 6379), Protocol::Redis);
  EXPECT_NE(detected("GET k\r\n", 40000), Protocol::Memcached);
  EXPECT_EQ(detected("*2\r\n$3\r\nget\r\n$1\r\nk\r\n", 11211), Protocol::Redis);
  EXPECT_NE(loupe::make_parser(Protocol::Memcached, Role::Server), nullptr);
}

}  // namespace
}  // namespace loupe::memcached::testing
