#include "protocols/redaction.h"

#include <gtest/gtest.h>

#include "../amqp/amqp_test_util.h"
#include "protocols/registry.h"

namespace loupe {
namespace {

TEST(Redaction, MasksQueryValuesKeepingNames) {
  EXPECT_EQ(mask_query_values("/search?q=shoes"), "/search?q=?");
  EXPECT_EQ(mask_query_values("/a?x=1&y=two&flag&empty="), "/a?x=?&y=?&flag&empty=");
  EXPECT_EQ(mask_query_values("/plain"), "/plain");
  EXPECT_EQ(mask_query_values("/a?"), "/a?");
}

std::vector<Record> exchange(Protocol p, Redaction level, std::string_view req,
                             std::string_view resp) {
  auto parser = make_parser(p, Role::Server, level);
  std::vector<Record> out;
  parser->feed({Direction::Ingress, 1, req, req.size()}, out);
  parser->feed({Direction::Egress, 2, resp, resp.size()}, out);
  return out;
}

constexpr std::string_view kGet = "GET /users/42?email=a%40b.c&page=2 HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

TEST(Redaction, HttpPathAtEachLevel) {
  auto def = exchange(Protocol::Http1, Redaction::Default, kGet, kOk);
  ASSERT_EQ(def.size(), 1u);
  EXPECT_EQ(def[0].path, "/users/42?email=?&page=?");
  EXPECT_EQ(def[0].route, "/users/{id}");
  auto off = exchange(Protocol::Http1, Redaction::Off, kGet, kOk);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].path, "/users/42?email=a%40b.c&page=2");
  auto strict = exchange(Protocol::Http1, Redaction::Strict, kGet, kOk);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].path, "/users/{id}");
}

TEST(Redaction, DatabaseErrorTextsKeepTheirWordsButNotTheirLiterals) {
  Record r;
  r.protocol = Protocol::Mysql;
  r.error_message = "Duplicate entry 'alice@example.com' for key 'users.email'";
  redact_record(r, Redaction::Default);
  EXPECT_EQ(r.error_message, "Duplicate entry ? for key ?");
  r.protocol = Protocol::Postgres;
  r.error_message = "ERROR: value 12345 violates constraint \"positive\" near 'secret'";
  redact_record(r, Redaction::Default);
  EXPECT_EQ(r.error_message, "ERROR: value ? violates constraint \"positive\" near ?");
  redact_record(r, Redaction::Strict);
  EXPECT_EQ(r.error_message, "");
}

TEST(Redaction, NatsSubjectIsItsRouteWhenStrict) {
  constexpr std::string_view kPub = "PUB orders.1234.paid 2\r\nok\r\n";
  for (Redaction level : {Redaction::Default, Redaction::Off}) {
    auto records = exchange(Protocol::Nats, level, kPub, "");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].path, "orders.1234.paid");
  }
  auto strict = exchange(Protocol::Nats, Redaction::Strict, kPub, "");
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].path, "orders.*.paid");
  EXPECT_EQ(strict[0].route, "orders.*.paid");
}

TEST(Redaction, AmqpPathIsItsRouteWhenStrict) {
  const std::string publish = amqp::testing::publish(1, "shop", "order.1234.paid", "secret body");
  for (Redaction level : {Redaction::Default, Redaction::Off}) {
    auto records = exchange(Protocol::Amqp, level, publish, "");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].path, "shop/order.1234.paid");
  }
  auto strict = exchange(Protocol::Amqp, Redaction::Strict, publish, "");
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].path, "shop/order.*.paid");
  EXPECT_EQ(strict[0].route, "shop/order.*.paid");
}

TEST(Redaction, LevelsHaveNames) {
  EXPECT_EQ(redaction_from_string("off"), Redaction::Off);
  EXPECT_EQ(redaction_from_string("strict"), Redaction::Strict);
  EXPECT_EQ(redaction_from_string("default"), Redaction::Default);
  EXPECT_EQ(redaction_from_string("loud"), std::nullopt);
  EXPECT_EQ(to_string(Redaction::Strict), "strict");
}

}  // namespace
}  // namespace loupe
