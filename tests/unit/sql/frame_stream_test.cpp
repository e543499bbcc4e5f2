#include "protocols/sql/frame_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using loupe::sql::Frame;
using loupe::sql::FrameStream;

namespace {

// Test framing: 'M' + 1-byte total length (>= 2).
class TinyCodec : public loupe::sql::FrameCodec {
 public:
  std::size_t header_size() const override { return 2; }
  uint64_t message_length(const uint8_t* h) const override {
    return h[0] == 'M' && h[1] >= 2 ? h[1] : 0;
  }
};

struct Collect : loupe::sql::FrameHandler {
  struct Got {
    std::string bytes;
    uint64_t wire, start, end;
  };
  std::vector<Got> frames;
  uint64_t lost = 0;
  void on_frame(const Frame& f) override {
    frames.push_back({std::string(f.bytes), f.wire_len, f.start_ns, f.end_ns});
  }
  void on_resync(uint64_t n) override { lost += n; }
};

std::string m(std::string_view body) {
  return "M" + std::string(1, static_cast<char>(body.size() + 2)) + std::string(body);
}

struct Fixture {
  TinyCodec codec;
  Collect got;
  loupe::ParserStats stats;
  FrameStream s{codec, got, stats};
};

}  // namespace

TEST(FrameStream, SplitMessagesAndTimestamps) {
  Fixture f;
  std::string w = m("hello") + m("x");
  f.s.feed(std::string_view(w).substr(0, 1), 1, 10);
  f.s.feed(std::string_view(w).substr(1, 4), 4, 11);
  f.s.feed(std::string_view(w).substr(5), w.size() - 5, 12);
  ASSERT_EQ(f.got.frames.size(), 2u);
  EXPECT_EQ(f.got.frames[0].bytes, m("hello"));
  EXPECT_EQ(f.got.frames[0].start, 10u);
  EXPECT_EQ(f.got.frames[0].end, 12u);
  EXPECT_EQ(f.got.frames[1].bytes, m("x"));
}

TEST(FrameStream, GapInsideMessageIsSkippedByLength) {
  Fixture f;
  std::string w = m("0123456789") + m("ok");
  f.s.feed(std::string_view(w).substr(0, 4), 8, 1);  // 4 bytes of the body uncaptured
  f.s.feed(std::string_view(w).substr(8), w.size() - 8, 2);
  ASSERT_EQ(f.got.frames.size(), 2u);
  EXPECT_EQ(f.got.frames[0].bytes, w.substr(0, 4));
  EXPECT_EQ(f.got.frames[0].wire, 12u);
  EXPECT_EQ(f.got.frames[1].bytes, m("ok"));
  EXPECT_EQ(f.stats.resyncs, 0u);
}

TEST(FrameStream, GapAcrossBoundaryResyncs) {
  Fixture f;
  std::string w = m("aaaa") + m("bbbb") + m("cccc") + m("dd");
  // Captured: the first message and 2 bytes; the rest of the write is lost.
  f.s.feed(std::string_view(w).substr(0, 8), 15, 1);
  // Next write starts mid-message ("cc" tail of the third), then a whole one.
  f.s.feed(std::string_view(w).substr(15), w.size() - 15, 2);
  ASSERT_EQ(f.got.frames.size(), 3u);
  EXPECT_EQ(f.got.frames[1].wire, 6u);  // the message cut by the gap
  EXPECT_EQ(f.got.frames[2].bytes, m("dd"));
  EXPECT_EQ(f.stats.resyncs, 1u);
  EXPECT_EQ(f.got.lost, 15u - 12u + 3u);  // gap past the cut message + skipped bytes
}

TEST(FrameStream, GarbageCountsParseErrorAndRecovers) {
  Fixture f;
  std::string junk = "zzzzzz";
  f.s.feed(junk, junk.size(), 1);
  f.s.feed(m("ok"), 4, 2);
  ASSERT_EQ(f.got.frames.size(), 1u);
  EXPECT_EQ(f.got.frames[0].bytes, m("ok"));
  EXPECT_GE(f.stats.parse_errors, 1u);
}
