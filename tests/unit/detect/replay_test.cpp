// Detection then parsing, as the agent runs them, on whole conversations of
// every protocol (the exchanges of each protocol's
// tests/unit/<name>/detection_samples.cpp): written one byte per syscall they
// give the same records as written one message per syscall.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../support/detection_samples.h"
#include "protocols/stream_detector.h"

namespace loupe {
namespace {

using testing::detection_samples;
using testing::DetectionSample;

// Feeds the conversation in pieces of at most `step` bytes through a
// StreamDetector and the parser it picks; returns the records.
std::vector<Record> capture(const DetectionSample& c, size_t step) {
  StreamDetector detector(c.role, 40000, 40001, false);
  std::unique_ptr<ProtocolParser> parser;
  std::vector<Record> out;
  uint64_t ts = 1;
  for (const auto& m : c.messages) {
    for (size_t i = 0; i < m.bytes.size(); i += step) {
      std::string_view piece = std::string_view(m.bytes).substr(i, step);
      Segment seg{m.dir, ts++, piece, piece.size()};
      if (parser) {
        parser->feed(seg, out);
      } else if (detector.feed(seg) == StreamDetector::State::Detected) {
        EXPECT_EQ(detector.protocol(), c.protocol) << c.name;
        parser = make_parser(detector.protocol(), c.role);
        for (const Segment& held : detector.held()) parser->feed(held, out);
        detector.release();
      }
    }
  }
  EXPECT_NE(parser, nullptr) << c.name << " step " << step;
  if (parser) parser->close(ts, out);
  return out;
}

TEST(DetectThenParse, OneBytePerSyscallGivesTheSameRecords) {
  for (const DetectionSample& c : detection_samples()) {
    if (c.messages.size() < 2) continue;  // first bytes only
    std::vector<Record> whole = capture(c, 1 << 20);
    ASSERT_FALSE(whole.empty()) << c.name;
    for (size_t step : {1, 2, 3, 5}) {
      std::vector<Record> split = capture(c, step);
      ASSERT_EQ(split.size(), whole.size()) << c.name << " step " << step;
      for (size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(split[i].protocol, c.protocol) << c.name;
        EXPECT_EQ(split[i].method, whole[i].method) << c.name << " step " << step;
        EXPECT_EQ(split[i].path, whole[i].path) << c.name << " step " << step;
        EXPECT_EQ(split[i].status, whole[i].status) << c.name << " step " << step;
        EXPECT_EQ(split[i].req_bytes, whole[i].req_bytes) << c.name << " step " << step;
        EXPECT_EQ(split[i].resp_bytes, whole[i].resp_bytes) << c.name << " step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace loupe
