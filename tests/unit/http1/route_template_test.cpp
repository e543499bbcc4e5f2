#include "protocols/http1/route_template.h"

#include <gtest/gtest.h>

#include "protocols/http1/trace_context.h"

namespace loupe::http1 {
namespace {

TEST(RouteTemplate, ExampleFromTheSpec) {
  EXPECT_EQ(template_route("/users/123/orders/9f1c0a2b3c4d"), "/users/{id}/orders/{id}");
}

TEST(RouteTemplate, KeepsWordsAndFiles) {
  EXPECT_EQ(template_route("/api/v1/users"), "/api/v1/users");
  EXPECT_EQ(template_route("/healthz"), "/healthz");
  EXPECT_EQ(template_route("/static/app.js"), "/static/app.js");
  EXPECT_EQ(template_route("/static/bootstrap-5.3.2.min.js"), "/static/bootstrap-5.3.2.min.js");
  EXPECT_EQ(template_route("/user-preferences/settings"), "/user-preferences/settings");
  EXPECT_EQ(template_route("/"), "/");
  EXPECT_EQ(template_route("/a/"), "/a/");
  EXPECT_EQ(template_route("/deadbeef"), "/deadbeef");  // hex letters only: a word
}

TEST(RouteTemplate, StripsQueryAndFragment) {
  EXPECT_EQ(template_route("/search?q=42&page=7"), "/search");
  EXPECT_EQ(template_route("/doc#section-3"), "/doc");
  EXPECT_EQ(template_route("/?x=1"), "/");
}

TEST(RouteTemplate, Numbers) {
  EXPECT_EQ(template_route("/items/0"), "/items/{id}");
  EXPECT_EQ(template_route("/items/18446744073709551616"), "/items/{id}");
}

TEST(RouteTemplate, Uuids) {
  EXPECT_EQ(template_route("/o/550e8400-e29b-41d4-a716-446655440000/x"), "/o/{id}/x");
  EXPECT_EQ(template_route("/o/550E8400-E29B-41D4-A716-446655440000"), "/o/{id}");
}

TEST(RouteTemplate, LongHex) {
  EXPECT_EQ(template_route("/commit/3f9a2c1b"), "/commit/{id}");
  EXPECT_EQ(template_route("/sha/da39a3ee5e6b4b0d3255bfef95601890afd80709"), "/sha/{id}");
  EXPECT_EQ(template_route("/short/3f9a2c1"), "/short/3f9a2c1");  // < 8: kept
}

TEST(RouteTemplate, OpaqueTokens) {
  EXPECT_EQ(template_route("/s/aGVsbG8gd29ybGQ9PQ=="), "/s/{id}");
  EXPECT_EQ(template_route("/t/Xk9_zQ2-vB7mN4pL"), "/t/{id}");
  EXPECT_EQ(template_route("/posts/my-first-post-2023"), "/posts/{id}");
  EXPECT_EQ(template_route("/t/abcdefghijklmnopqrst"), "/t/abcdefghijklmnopqrst");  // no digit
  EXPECT_EQ(template_route("/t/a1b2c3"), "/t/a1b2c3");                              // < 16
}

TEST(RouteTemplate, EmailsAndIps) {
  EXPECT_EQ(template_route("/users/jane.doe@example.com"), "/users/{id}");
  EXPECT_EQ(template_route("/users/jane%40example.com/x"), "/users/{id}/x");
  EXPECT_EQ(template_route("/hosts/10.0.0.12"), "/hosts/{id}");
  EXPECT_EQ(template_route("/v/1.2.3"), "/v/1.2.3");
}

TEST(RouteTemplate, VeryLongSegmentsAreOpaque) {
  EXPECT_EQ(template_route("/x/" + std::string(65, 'a')), "/x/{id}");
  EXPECT_EQ(template_route("/x/" + std::string(64, 'a')), "/x/" + std::string(64, 'a'));
}

// Words (no digit, '@' or '%') skip the rules that need one: what is left
// for them is a UUID of hex letters and the length.
TEST(RouteTemplate, WordsThatAreStillIdentifiers) {
  EXPECT_EQ(template_route("/o/abcdefab-cdef-abcd-efab-cdefabcdefab"), "/o/{id}");
  EXPECT_EQ(template_route("/o/abcdefab-cdef-abcd-efab-cdefabcdefag"),
            "/o/abcdefab-cdef-abcd-efab-cdefabcdefag");  // 'g': not hex
  EXPECT_EQ(template_route("/o/" + std::string(65, '-')), "/o/{id}");
  EXPECT_EQ(template_route("/a/b-c_d.e~f/"), "/a/b-c_d.e~f/");
  // A whole target the size of a UUID is still read segment by segment.
  EXPECT_EQ(template_route("abcdefab-cdef-abcd-efab-cdefabcdefab"), "{id}");
  EXPECT_EQ(template_route("abcdefab-cdef-abcd-efab-cdefabcdefab?q"), "{id}");
  EXPECT_TRUE(is_identifier_segment("x@y.io"));
  EXPECT_TRUE(is_identifier_segment("x%40y.io"));
  EXPECT_FALSE(is_identifier_segment("x%20y"));
  EXPECT_FALSE(is_identifier_segment("a"));
}

TEST(RouteTemplate, AbsoluteFormAndOtherTargets) {
  EXPECT_EQ(template_route("http://example.com:8080/users/7?x"), "/users/{id}");
  EXPECT_EQ(template_route("https://example.com"), "/");
  EXPECT_EQ(template_route("*"), "*");
  EXPECT_EQ(template_route("example.com:443"), "example.com:443");
  EXPECT_EQ(template_route(""), "");
}

TEST(RouteTemplate, OutputIsBounded) {
  std::string path;
  for (int i = 0; i < 1000; ++i) path += "/seg";
  EXPECT_LE(template_route(path).size(), 1024u);
}

TEST(TraceContext, ValidAndInvalidTraceparents) {
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // Later versions may append fields.
  EXPECT_EQ(
      trace_id_from_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"),
      "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(
      trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"), "");
  EXPECT_EQ(trace_id_from_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(trace_id_from_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(trace_id_from_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
            "");
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736"), "");
  EXPECT_EQ(trace_id_from_traceparent(""), "");
}

}  // namespace
}  // namespace loupe::http1
