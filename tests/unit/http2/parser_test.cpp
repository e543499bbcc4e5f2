// The HTTP/2 parser on recorded connections of nghttp (client) and nghttpd
// (server), split at every byte, with capture gaps and joined mid-way; and
// on hand-built frames for resets, CONTINUATION and the stream limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "http2_test_util.h"
#include "protocols/http2/frame.h"

namespace loupe::http2::testing {
namespace {

using Summary = std::tuple<std::string, std::string, int, std::string, uint64_t, uint64_t>;

// What a user sees of each record, in path order.
std::vector<Summary> summarize(const std::vector<Record>& records) {
  std::vector<Summary> out;
  for (const Record& r : records)
    out.emplace_back(r.path, r.method, r.status, r.host, r.req_bytes, r.resp_bytes);
  std::sort(out.begin(), out.end());
  return out;
}

// Frame header + payload bytes of all frames in `chunks` of one side that
// carry `stream` and are HEADERS, CONTINUATION or DATA.
uint64_t message_bytes(const std::vector<Chunk>& chunks, bool from_client, uint32_t stream) {
  uint64_t n = 0;
  for (const Chunk& c : chunks) {
    if (c.from_client != from_client) continue;
    std::string_view b = c.bytes;
    if (from_client && b.starts_with(kClientPreface)) b.remove_prefix(kClientPreface.size());
    for (const std::string& f : split_frames(b)) {
      const FrameHeader h = parse_frame_header(f);
      if (h.stream == stream && (h.type == FrameType::Headers || h.type == FrameType::Data ||
                                 h.type == FrameType::Continuation))
        n += f.size();
    }
  }
  return n;
}

TEST(Http2Parser, ThreeConcurrentStreamsBothRoles) {
  const auto chunks = load_recording("nghttp_three_streams.txt");
  for (Role role : {Role::Server, Role::Client, Role::Unknown}) {
    Conn c(role);
    c.play(chunks);
    ASSERT_EQ(c.records.size(), 3u) << static_cast<int>(role);
    const Role want = role == Role::Unknown ? Role::Client : role;
    for (const Record& r : c.records) {
      EXPECT_EQ(r.protocol, Protocol::Http2);
      EXPECT_EQ(r.role, want);
      EXPECT_EQ(r.method, "GET");
      EXPECT_EQ(r.host, "127.0.0.1:18081");
      EXPECT_EQ(r.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(r.detail, "");  // seen from the start: nothing is partial
      EXPECT_LE(r.start_ns, r.end_ns);
      EXPECT_EQ(r.error, false);
    }
    auto s = summarize(c.records);
    EXPECT_EQ(std::get<0>(s[0]), "/big");
    EXPECT_EQ(std::get<2>(s[0]), 200);
    EXPECT_GT(std::get<5>(s[0]), 3000u);  // the 3000-byte body and its frames
    EXPECT_EQ(std::get<0>(s[1]), "/index.html");
    EXPECT_EQ(std::get<2>(s[1]), 200);
    EXPECT_EQ(std::get<0>(s[2]), "/missing");
    EXPECT_EQ(std::get<2>(s[2]), 404);
    EXPECT_EQ(c.parser->stats().records, 3u);
    EXPECT_EQ(c.parser->stats().parse_errors, 0u);
  }
}

TEST(Http2Parser, ByteCountsAreTheStreamsFrames) {
  const auto chunks = load_recording("nghttp_three_streams.txt");
  Conn c(Role::Server);
  c.play(chunks);
  // nghttp opens streams 13, 15, 17 in the order of its arguments.
  uint64_t req = 0, resp = 0;
  for (uint32_t id : {13u, 15u, 17u}) {
    req += message_bytes(chunks, true, id);
    resp += message_bytes(chunks, false, id);
  }
  uint64_t got_req = 0, got_resp = 0;
  for (const Record& r : c.records) {
    got_req += r.req_bytes;
    got_resp += r.resp_bytes;
  }
  EXPECT_GT(req, 0u);
  EXPECT_EQ(got_req, req);
  EXPECT_EQ(got_resp, resp);
}

TEST(Http2Parser, PostWithBody) {
  Conn c(Role::Client);
  c.play(load_recording("nghttp_post.txt"));
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "POST");
  EXPECT_EQ(c.records[0].path, "/index.html");
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_GT(c.records[0].req_bytes, 8u + 9u);  // the 8-byte body in a DATA frame
}

// Every way of cutting one read in two gives the same records.
void expect_same_at_every_split(const std::vector<Chunk>& chunks, size_t stride) {
  Conn whole(Role::Server);
  whole.play(chunks);
  const auto want = summarize(whole.records);
  ASSERT_FALSE(want.empty());
  for (size_t i = 0; i < chunks.size(); ++i) {
    for (size_t cut = 1; cut < chunks[i].bytes.size(); cut += stride) {
      Conn c(Role::Server);
      c.play_cut(chunks, i, cut);
      ASSERT_EQ(summarize(c.records), want) << "chunk " << i << " cut at " << cut;
    }
  }
}

TEST(Http2Parser, SameRecordsAtEverySplitPoint) {
  expect_same_at_every_split(load_recording("nghttp_three_streams.txt"), 1);
  expect_same_at_every_split(load_recording("nghttp_post.txt"), 1);
  expect_same_at_every_split(load_recording("nghttp_large_body.txt"), 7);
}

TEST(Http2Parser, OneByteReads) {
  Conn whole(Role::Server);
  const auto chunks = load_recording("nghttp_three_streams.txt");
  whole.play(chunks);
  Conn c(Role::Server);
  for (const Chunk& ch : chunks)
    for (char b : ch.bytes) c.send(ch.from_client, std::string_view(&b, 1));
  EXPECT_EQ(summarize(c.records), summarize(whole.records));
}

TEST(Http2Parser, GapInsideOneDataFrameKeepsFraming) {
  const auto chunks = load_recording("nghttp_large_body.txt");
  Conn whole(Role::Client);
  whole.play(chunks);
  ASSERT_EQ(whole.records.size(), 1u);
  EXPECT_EQ(whole.records[0].path, "/large");
  EXPECT_GT(whole.records[0].resp_bytes, 40000u);
  // The response's first DATA frame (16384 bytes) is captured only in part:
  // the read stops 100 bytes into it and the rest is a gap.
  Conn c(Role::Client);
  for (const Chunk& ch : chunks) {
    if (ch.from_client || ch.bytes.size() < 1000) {
      c.send(ch.from_client, ch.bytes);
      continue;
    }
    size_t pos = 0;
    for (const std::string& f : split_frames(ch.bytes)) {
      if (parse_frame_header(f).type == FrameType::Data && pos > 0) break;
      pos += f.size();
    }
    const size_t data_end = pos + split_frames(std::string_view(ch.bytes).substr(pos))[0].size();
    c.send(false, std::string_view(ch.bytes).substr(0, pos + 100), data_end);
    c.send(false, std::string_view(ch.bytes).substr(data_end));
  }
  EXPECT_EQ(summarize(c.records), summarize(whole.records));
  EXPECT_EQ(c.parser->stats().resyncs, 0u);
}

TEST(Http2Parser, GapAcrossFramesResyncsAndMarksPartial) {
  const auto chunks = load_recording("nghttp_three_streams.txt");
  Conn c(Role::Server);
  c.send(true, chunks[0].bytes);
  // The response read is captured only for its first 20 bytes: framing and
  // the HPACK table of the responses are lost.
  c.send(false, std::string_view(chunks[1].bytes).substr(0, 20), chunks[1].bytes.size());
  EXPECT_EQ(c.parser->stats().resyncs, 1u);
  // A later request and response on the same connection resynchronise.
  c.send(true, frame(1, 0x5, 19, unhex("82 86 84 01 01 61")));
  c.send(false, frame(1, 0x5, 19, unhex("be 0d 01 30")));  // :status from the lost table
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].path, "/");
  EXPECT_EQ(c.records[0].status, 0);  // unknown, not guessed
  EXPECT_EQ(c.records[0].detail, "partial");
  c.parser->close(c.ts, c.records);
  EXPECT_EQ(c.parser->stats().unmatched, 3u);  // the three streams whose ends were lost
}

// A connection whose start (preface, SETTINGS, first request and response)
// was before the capture: the later streams' headers reference HPACK
// entries never seen. Nothing wrong may come out.
TEST(Http2Parser, JoinedMidConnectionIsPartialNeverWrong) {
  const auto chunks = load_recording("nghttp_three_streams.txt");
  std::string client, server;
  auto keep = [](std::string_view b, std::string& out) {
    for (const std::string& f : split_frames(b)) {
      const FrameHeader h = parse_frame_header(f);
      if (h.stream != 13 && h.type != FrameType::Settings) out += f;
    }
  };
  keep(std::string_view(chunks[0].bytes).substr(kClientPreface.size()), client);
  keep(chunks[1].bytes, server);
  ASSERT_EQ(detect(client, Direction::Ingress, Role::Server), Detection::Match);
  Conn c(Role::Server);
  c.send(true, client);
  c.send(false, server);
  ASSERT_EQ(c.records.size(), 2u);
  bool any_partial = false;
  for (const Record& r : c.records) {
    EXPECT_TRUE(r.path == "/big" || r.path == "/missing" || r.path.empty()) << r.path;
    EXPECT_TRUE(r.method == "GET" || r.method.empty()) << r.method;
    EXPECT_TRUE(r.status == 200 || r.status == 404 || r.status == 0) << r.status;
    EXPECT_TRUE(r.host == "127.0.0.1:18081" || r.host.empty()) << r.host;
    any_partial = any_partial || r.detail == "partial";
  }
  EXPECT_TRUE(any_partial);
}

// --- hand-built frames ---

const std::string kSettings = frame(4, 0, 0, "");
// :method GET, :scheme http, :path /, :authority a (literal, not indexed)
const std::string kGetRoot = unhex("82 86 84 01 01 61");

TEST(Http2Parser, ContinuationAndResetByClient) {
  Conn c(Role::Server);
  std::string req = std::string(kClientPreface) + kSettings +
                    frame(1, 0, 1, kGetRoot.substr(0, 2)) +     // HEADERS, no END_HEADERS
                    frame(9, 0, 1, kGetRoot.substr(2, 2)) +     // CONTINUATION
                    frame(9, 0x4 | 0, 1, kGetRoot.substr(4)) +  // CONTINUATION, END_HEADERS
                    frame(1, 0x5, 3, kGetRoot);                 // stream 3: END_STREAM
  c.send(true, req);
  c.send(false, kSettings + frame(1, 0x5, 3, unhex("88")));  // 3: 200, END_STREAM
  c.send(true, frame(3, 0, 1, unhex("00000008")));           // 1: RST_STREAM CANCEL
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].path, "/");
  EXPECT_EQ(c.records[0].host, "a");
  EXPECT_EQ(c.records[0].status, 200);
  EXPECT_FALSE(c.records[0].error);
  EXPECT_EQ(c.records[1].status, 0);
  EXPECT_TRUE(c.records[1].error);
  EXPECT_EQ(c.records[1].error_code, "CANCEL");
  EXPECT_EQ(c.records[1].host, "a");
}

TEST(Http2Parser, InterimResponseAndTrailers) {
  Conn c(Role::Client);
  c.send(true, std::string(kClientPreface) + frame(1, 0x5, 1, kGetRoot));
  c.send(false, frame(1, 0x4, 1, unhex("08 03 313030")) +  // :status 100
                    frame(1, 0x4, 1, unhex("8e")) +        // :status 500
                    frame(0, 0, 1, "body") +
                    frame(1, 0x5, 1, unhex("00 03 78 2d74 01 31")));  // trailers x-t: 1
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 500);
  EXPECT_TRUE(c.records[0].error);
  EXPECT_EQ(c.records[0].resp_bytes, 4 * 9 + 4 + 1 + 1 + 4 + 7u);
}

TEST(Http2Parser, StreamsPerConnectionAreBounded) {
  Conn c(Role::Server);
  std::string req = std::string(kClientPreface);
  for (uint32_t id = 1; id < 2 * 3000; id += 2) req += frame(1, 0x5, id, kGetRoot);
  c.send(true, req);
  EXPECT_LE(c.parser->memory_bytes(), 1024u * 1024);
  EXPECT_EQ(c.parser->stats().unmatched, 3000u - 1024u);
  c.send(false, frame(1, 0x5, 5999, unhex("88")));
  EXPECT_EQ(c.records.size(), 1u);
  c.parser->close(c.ts, c.records);
  EXPECT_EQ(c.parser->stats().unmatched, 3000u - 1u);
}

TEST(Http2Parser, GarbageResyncsAtAFrameBoundary) {
  Conn c(Role::Server);
  c.send(true, std::string(kClientPreface) + frame(1, 0x5, 1, kGetRoot));
  c.send(false, "\xff\xff\xff\xff\xff\xff\xff\xff\xff garbage that is no frame");
  EXPECT_EQ(c.parser->stats().resyncs, 1u);
  c.send(true, frame(1, 0x5, 3, kGetRoot));
  c.send(false, frame(1, 0x5, 3, unhex("88")));
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].status, 200);
}

TEST(Http2Detect, PrefaceAndFrames) {
  const std::string preface(kClientPreface);
  EXPECT_EQ(detect(preface, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(preface.substr(0, 10), Direction::Ingress, Role::Server), Detection::NeedMore);
  EXPECT_EQ(detect(preface, Direction::Egress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(preface, Direction::Egress, Role::Client), Detection::Match);
  const std::string headers = frame(1, 0x5, 7, kGetRoot);
  EXPECT_EQ(detect(headers, Direction::Ingress, Role::Server), Detection::Match);
  EXPECT_EQ(detect(headers.substr(0, 12), Direction::Ingress, Role::Server), Detection::NeedMore);
  // A request is not a response.
  EXPECT_EQ(detect(headers, Direction::Egress, Role::Server), Detection::NoMatch);
  EXPECT_EQ(detect(frame(1, 0x4, 7, unhex("88")), Direction::Egress, Role::Server),
            Detection::Match);
  EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Ingress, Role::Server), Detection::NoMatch);
  // SETTINGS belongs to stream 0.
  EXPECT_EQ(detect(std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x01", 9), Direction::Ingress,
                   Role::Server),
            Detection::NoMatch);
  EXPECT_EQ(detect_protocol(preface, Direction::Ingress, Role::Server, 8080, 40000).protocol,
            Protocol::Http2);
}

}  // namespace
}  // namespace loupe::http2::testing
