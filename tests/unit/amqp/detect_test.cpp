#include <gtest/gtest.h>

#include "amqp_test_util.h"

namespace loupe::amqp::testing {
namespace {

TEST(AmqpDetect, ProtocolHeaderFromTheClient) {
  const std::string hello = std::string(kProtocolHeader) + method(0, 10, 11, kEmptyTable);
  EXPECT_EQ(detect(hello, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(hello, Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(hello, Direction::Egress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(hello, Direction::Ingress, Role::Unknown), Detection::Match);
  for (size_t n = 1; n < kProtocolHeader.size(); ++n)
    EXPECT_EQ(detect(hello.substr(0, n), Direction::Ingress, Role::Server), Detection::NeedMore)
        << n;
  EXPECT_EQ(detect(std::string("AMQP\0\0\x09\x00", 8), Direction::Ingress, Role::Server),
            Detection::NoMatch);  // 0-9-0? not what Loupe parses
  EXPECT_EQ(detect(std::string("AMQP\x01\x01\x00\x0a", 8), Direction::Ingress, Role::Server),
            Detection::NoMatch);  // AMQP 1.0
  EXPECT_EQ(detect("AMQX", Direction::Ingress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
}

TEST(AmqpDetect, AWholeMethodFrameMidConnection) {
  const std::string deliver = deliver_method(1, "ctag", 9, "logs", "app.error");
  EXPECT_EQ(detect(deliver, Direction::Ingress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(deliver, Direction::Egress, Role::Server), Detection::Match);
  // Only the server delivers.
  EXPECT_EQ(detect(deliver, Direction::Egress, Role::Client), Detection::NoMatch);
  for (size_t n = 1; n < deliver.size(); ++n)
    EXPECT_EQ(detect(deliver.substr(0, n), Direction::Ingress, Role::Client), Detection::NeedMore)
        << n;
  std::string bad_end = deliver;
  bad_end.back() = 'x';
  EXPECT_EQ(detect(bad_end, Direction::Ingress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect(method(1, 60, 99), Direction::Egress, Role::Unknown), Detection::NoMatch);
  // Arguments that do not fit the frame.
  EXPECT_EQ(detect(method(1, 60, 60, shortstr("t")), Direction::Ingress, Role::Client),
            Detection::NoMatch);
  EXPECT_EQ(detect(kHeartbeat, Direction::Egress, Role::Unknown), Detection::Match);
}

TEST(AmqpDetect, ContentFramesAreNoProof) {
  EXPECT_EQ(detect(content(1, "hello"), Direction::Egress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect(frame(kFrameBody, 1, "hello"), Direction::Egress, Role::Client),
            Detection::NoMatch);
  // A frame larger than a detector window is not judged whole.
  EXPECT_EQ(detect(publish_method(1, std::string(200, 'e'), std::string(255, 'k')) +
                       std::string(5000, 'x'),
                   Direction::Egress, Role::Client),
            Detection::Match);
  EXPECT_EQ(detect(be(kFrameMethod, 1) + be(1, 2) + be(100000, 4), Direction::Egress, Role::Client),
            Detection::NoMatch);
}

}  // namespace
}  // namespace loupe::amqp::testing
