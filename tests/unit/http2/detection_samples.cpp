// The HTTP/2 connection preface, and a recorded POST, for the detection
// tests across every protocol (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include <string>
#include <vector>

#include "http2_test_util.h"

namespace loupe::http2::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;
using loupe::testing::SampleMessage;

// A recording (tests/data/http2/) as seen by its client.
std::vector<SampleMessage> client_side(const std::string& recording) {
  std::vector<SampleMessage> messages;
  for (Chunk& c : load_recording(recording))
    messages.push_back({c.from_client ? kOut : kIn, std::move(c.bytes)});
  return messages;
}

const loupe::testing::DetectionSamples kSamples{{
    {"http2_preface",
     Protocol::Http2,
     Role::Server,
     {{kIn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + std::string("\0\0\0\4\0\0\0\0\0", 9)}}},
    {"http2_post", Protocol::Http2, Role::Client, client_side("nghttp_post.txt")},
}};

}  // namespace
}  // namespace loupe::http2::testing
