// gRPC calls on a recorded connection of Debian's python3-grpcio client and
// server (tests/e2e/grpc_echo.py through tests/data/http2/record.py):
// two good and one failing unary Say, then one Count (server streaming),
// Sum (client streaming) and Chat (bidirectional).
#include "protocols/http2/grpc.h"

#include <gtest/gtest.h>

#include <map>

#include "http2_test_util.h"
#include "protocols/http2/frame.h"

namespace loupe::http2::testing {
namespace {

std::map<std::string, std::vector<const Record*>> by_method(const std::vector<Record>& records) {
  std::map<std::string, std::vector<const Record*>> out;
  for (const Record& r : records) out[r.method].push_back(&r);
  return out;
}

TEST(Grpc, CallsFromARecordedConnection) {
  const auto chunks = load_recording("grpc_python.txt");
  for (Role role : {Role::Server, Role::Client}) {
    Conn c(role);
    c.play(chunks);
    ASSERT_EQ(c.records.size(), 6u);
    for (const Record& r : c.records) {
      EXPECT_EQ(r.protocol, Protocol::Grpc);
      EXPECT_EQ(r.role, role);
      EXPECT_EQ(r.route, r.path);
      EXPECT_EQ(r.path, "/demo.Echo/" + r.method);
      EXPECT_EQ(r.host, "127.0.0.1:18091");
    }
    auto m = by_method(c.records);
    ASSERT_EQ(m["Say"].size(), 3u);
    int failed = 0;
    for (const Record* r : m["Say"]) {
      // A failing call ends with its trailers alone: no reply message.
      EXPECT_EQ(r->detail,
                r->error ? "messages: 1 request, 0 response" : "messages: 1 request, 1 response");
      if (r->error) {
        ++failed;
        EXPECT_EQ(r->status, 5);
        EXPECT_EQ(r->error_code, "NOT_FOUND");
        EXPECT_EQ(r->error_message, "no such thing");
      } else {
        EXPECT_EQ(r->status, 0);
      }
    }
    EXPECT_EQ(failed, 1);
    ASSERT_EQ(m["Count"].size(), 1u);
    EXPECT_EQ(m["Count"][0]->detail, "messages: 1 request, 3 response");
    ASSERT_EQ(m["Sum"].size(), 1u);
    EXPECT_EQ(m["Sum"][0]->detail, "messages: 4 request, 1 response");
    ASSERT_EQ(m["Chat"].size(), 1u);
    EXPECT_EQ(m["Chat"][0]->detail, "messages: 2 request, 2 response");
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
    EXPECT_EQ(c.parser->stats().unmatched, 0u);
  }
}

TEST(Grpc, EveryReadCutInTwo) {
  const auto chunks = load_recording("grpc_python.txt");
  for (size_t i = 0; i < chunks.size(); ++i) {
    for (size_t cut = 1; cut < chunks[i].bytes.size(); ++cut) {
      Conn c(Role::Server);
      c.play_cut(chunks, i, cut);
      ASSERT_EQ(c.records.size(), 6u) << "chunk " << i << " cut " << cut;
      for (const Record& r : c.records) ASSERT_EQ(r.detail.substr(0, 9), "messages:");
    }
  }
}

// The capture starts after the first call: later calls' headers reference
// HPACK entries inserted by it (":path" stays literal in grpcio, the
// content-type and te entries do not). Values are never wrong.
TEST(Grpc, JoinedAfterTheFirstCall) {
  const auto chunks = load_recording("grpc_python.txt");
  Conn c(Role::Server);
  bool seen_stream3 = false;
  for (const Chunk& ch : chunks) {
    bool later = false;
    if (std::string_view(ch.bytes).starts_with(kClientPreface)) continue;
    for (const std::string& f : split_frames(ch.bytes)) {
      const FrameHeader h = parse_frame_header(f);
      if (h.stream >= 3) later = true;
    }
    seen_stream3 = seen_stream3 || (later && ch.from_client);
    if (seen_stream3) c.send(ch.from_client, ch.bytes);
  }
  ASSERT_FALSE(c.records.empty());
  for (const Record& r : c.records) {
    EXPECT_TRUE(r.path.empty() || r.path.starts_with("/demo.Echo/")) << r.path;
    EXPECT_TRUE(r.protocol == Protocol::Http2 || r.protocol == Protocol::Grpc);
    EXPECT_NE(r.detail.find("partial"), std::string::npos)
        << r.path << " " << r.detail << " " << r.status;
  }
}

TEST(Grpc, MessageCounterAcrossGaps) {
  GrpcMessageCounter c;
  c.feed(unhex("00 00000003 616263 00 000000"));  // one whole message, a prefix in part
  EXPECT_EQ(c.messages(), 1u);
  c.feed(unhex("0a"));  // the prefix ends: a 10-byte message starts
  EXPECT_EQ(c.messages(), 2u);
  c.skip(10);  // its body is lost: the count holds
  c.feed(unhex("01 00000000"));
  EXPECT_EQ(c.messages(), 3u);
  EXPECT_TRUE(c.known());
  c.skip(3);  // inside a prefix: unknown from here
  EXPECT_FALSE(c.known());
}

TEST(Grpc, StatusNamesAndHttpMapping) {
  EXPECT_EQ(grpc_status_name(0), "OK");
  EXPECT_EQ(grpc_status_name(16), "UNAUTHENTICATED");
  EXPECT_EQ(grpc_status_name(17), "UNKNOWN");
  EXPECT_EQ(grpc_status_from_http(404), 12);
  EXPECT_EQ(grpc_status_from_http(503), 14);
  EXPECT_TRUE(is_grpc_content_type("application/grpc"));
  EXPECT_TRUE(is_grpc_content_type("application/grpc+proto"));
  EXPECT_FALSE(is_grpc_content_type("application/grpc-web"));
  EXPECT_FALSE(is_grpc_content_type("application/json"));
}

}  // namespace
}  // namespace loupe::http2::testing
