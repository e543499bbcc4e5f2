// StreamDetector: every protocol is recognised whatever the split of its
// first bytes (one byte per syscall included; the samples come from each
// protocol's tests/unit/<name>/detection_samples.cpp), the held bytes reach the
// parser unchanged, and what no module claims is given up within bounds.
#include "protocols/stream_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../support/detection_samples.h"
#include "protocols/registry.h"

namespace loupe {
namespace {

using namespace std::string_literals;

using testing::detection_samples;
using testing::DetectionSample;

std::string dns_tcp_query() {
  std::string msg = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"s +
                    "\x07"
                    "example\x03"
                    "com\x00"s +
                    "\x00\x01\x00\x01"s;
  return std::string{static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size())} + msg;
}

// Feeds a sample's first bytes in pieces of `step` bytes (the last one
// shorter).
StreamDetector::State feed_in_pieces(StreamDetector& d, const DetectionSample& c, size_t step) {
  StreamDetector::State s = StreamDetector::State::Detecting;
  const auto& [dir, first] = c.messages.front();
  uint64_t ts = 1;
  for (size_t i = 0; i < first.size() && s == StreamDetector::State::Detecting; i += step) {
    std::string_view piece = std::string_view(first).substr(i, step);
    s = d.feed({dir, ts++, piece, piece.size()});
  }
  return s;
}

TEST(StreamDetector, EveryDetectingProtocolHasSamples) {
  for (const auto& m : protocol_modules()) {
    if (!m.detect) continue;
    bool first_bytes = false, exchange = false;
    for (const DetectionSample& c : detection_samples()) {
      if (c.protocol != m.protocol) continue;
      first_bytes = true;
      exchange = exchange || c.messages.size() > 1;
    }
    EXPECT_TRUE(first_bytes && exchange)
        << to_string(m.protocol)
        << ": tests/unit/<name>/detection_samples.cpp needs its first bytes and an exchange";
  }
}

TEST(StreamDetector, EveryProtocolOneBytePerSegment) {
  for (const DetectionSample& c : detection_samples()) {
    // Ports that hint at nothing: the bytes alone decide.
    StreamDetector d(c.role, 40000, 40001, false);
    ASSERT_EQ(feed_in_pieces(d, c, 1), StreamDetector::State::Detected) << c.name;
    EXPECT_EQ(d.protocol(), c.protocol) << c.name;
    // What was held is exactly what came, in order, one segment per feed.
    const auto& [dir, first] = c.messages.front();
    std::string replayed;
    for (const Segment& s : d.held()) {
      EXPECT_EQ(s.dir, dir);
      EXPECT_EQ(s.length, s.bytes.size());
      replayed += s.bytes;
    }
    EXPECT_EQ(replayed, first.substr(0, replayed.size())) << c.name;
    EXPECT_FALSE(replayed.empty());
  }
}

TEST(StreamDetector, EveryProtocolEverySplitPoint) {
  for (const DetectionSample& c : detection_samples()) {
    for (size_t step = 2; step <= c.messages.front().bytes.size(); ++step) {
      StreamDetector d(c.role, 40000, 40001, false);
      ASSERT_EQ(feed_in_pieces(d, c, step), StreamDetector::State::Detected)
          << c.name << " step " << step;
      EXPECT_EQ(d.protocol(), c.protocol) << c.name << " step " << step;
    }
  }
}

TEST(StreamDetector, UnknownRoleIsTakenFromTheBytes) {
  StreamDetector d(Role::Unknown, 40000, 40001, false);
  std::string_view request = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(d.feed({Direction::Ingress, 1, request, request.size()}),
            StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Http1);
  EXPECT_EQ(d.role(), Role::Server);  // a request read by the process
}

TEST(StreamDetector, GarbageIsGivenUpAfterFewRejections) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  std::string garbage = "\xff\xfe\xfd\xfc\xfb\xfa"s;
  StreamDetector::State s = StreamDetector::State::Detecting;
  size_t fed = 0;
  while (s == StreamDetector::State::Detecting && fed < 1000) {
    char ch = garbage[fed++ % garbage.size()];
    s = d.feed({Direction::Ingress, 1, std::string_view(&ch, 1), 1});
  }
  EXPECT_EQ(s, StreamDetector::State::Undetected);
  // Every module rejects such bytes within a few of them.
  EXPECT_LE(fed, 8 * StreamDetector::Limits{}.max_rejections);
  EXPECT_TRUE(d.held().empty());  // given up: nothing kept
  EXPECT_EQ(d.memory_bytes(), 0u);
  // In whole segments, each rejected segment counts once.
  StreamDetector e(Role::Server, 40000, 40001, false);
  for (uint32_t i = 1; i < StreamDetector::Limits{}.max_rejections; ++i)
    EXPECT_EQ(e.feed({Direction::Ingress, i, garbage, garbage.size()}),
              StreamDetector::State::Detecting);
  EXPECT_EQ(e.feed({Direction::Ingress, 9, garbage, garbage.size()}),
            StreamDetector::State::Undetected);
}

TEST(StreamDetector, UndecidedBytesAreBoundedAndGivenUp) {
  StreamDetector::Limits limits;
  limits.max_bytes = 64;
  StreamDetector d(Role::Server, 40000, 40001, false, limits);
  // A token method with a request line that never ends.
  std::string line = "FOO /" + std::string(200, 'a');
  StreamDetector::State s = d.feed({Direction::Ingress, 1, line.substr(0, 30), 30});
  EXPECT_EQ(s, StreamDetector::State::Detecting);
  s = d.feed({Direction::Ingress, 2, std::string_view(line).substr(30), line.size() - 30});
  EXPECT_EQ(s, StreamDetector::State::Undetected);
}

TEST(StreamDetector, CloseWhileUndecidedGivesUp) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  EXPECT_EQ(d.feed({Direction::Ingress, 1, "GE", 2}), StreamDetector::State::Detecting);
  EXPECT_EQ(d.finish(), StreamDetector::State::Undetected);
}

TEST(StreamDetector, PortModuleStillUndecidedIsWaitedFor) {
  // On Redis's port, "GET k" may become an inline Redis command: HTTP's
  // early match waits for Redis to decide.
  StreamDetector d(Role::Server, 6379, 40001, false);
  EXPECT_EQ(d.feed({Direction::Ingress, 1, "GET k", 5}), StreamDetector::State::Detecting);
  EXPECT_EQ(d.feed({Direction::Ingress, 2, "\r\n", 2}), StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Redis);
  // Closed before Redis could decide: the lower-priority match is taken.
  StreamDetector e(Role::Server, 6379, 40001, false);
  EXPECT_EQ(e.feed({Direction::Ingress, 1, "GET /", 5}), StreamDetector::State::Detecting);
  EXPECT_EQ(e.finish(), StreamDetector::State::Detected);
  EXPECT_EQ(e.protocol(), Protocol::Http1);
}

TEST(StreamDetector, UncapturedGapStopsTheWindow) {
  StreamDetector d(Role::Server, 40000, 40001, false);
  // "GE" captured of 100 bytes: the rest can never be judged.
  EXPECT_NE(d.feed({Direction::Ingress, 1, "GE", 100}), StreamDetector::State::Detected);
  // A later segment starts a new window and is recognised.
  EXPECT_EQ(d.feed({Direction::Ingress, 2, "GET / HTTP/1.1\r\n\r\n", 18}),
            StreamDetector::State::Detected);
  EXPECT_EQ(d.held().size(), 2u);  // the gap segment is replayed too, for the parser to skip
}

TEST(StreamDetector, DatagramsAreJudgedAlone) {
  std::string q = dns_tcp_query().substr(2);  // the same message as a UDP datagram
  StreamDetector d(Role::Client, 40000, 53, true);
  EXPECT_EQ(d.feed({Direction::Egress, 1, q, q.size()}), StreamDetector::State::Detected);
  EXPECT_EQ(d.protocol(), Protocol::Dns);
  // Halves of a datagram are not a message.
  StreamDetector e(Role::Client, 40000, 40001, true);
  std::string_view half = std::string_view(q).substr(0, 10);
  EXPECT_EQ(e.feed({Direction::Egress, 1, half, half.size()}), StreamDetector::State::Detecting);
}

}  // namespace
}  // namespace loupe
