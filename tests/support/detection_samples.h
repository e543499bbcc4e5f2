// The first bytes of each protocol, and a whole exchange of it, for the
// tests of detection across every protocol (tests/unit/detect/). Each
// protocol's test folder declares its own in detection_samples.cpp, which
// tests/unit/CMakeLists.txt compiles into unit_detect; the tests there run
// every sample against every protocol's detection and fail for a protocol
// that detects but has no sample.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "protocols/parser.h"

namespace loupe::testing {

// Egress: written by the traced side; Ingress: read by it.
inline constexpr Direction kOut = Direction::Egress;
inline constexpr Direction kIn = Direction::Ingress;

struct SampleMessage {
  Direction dir;  // Egress: written by the traced side
  std::string bytes;
};

struct DetectionSample {
  std::string name;
  Protocol protocol;
  Role role;  // of the traced side
  // From the connection's first bytes on; with a reply, a whole exchange
  // that gives at least one record.
  std::vector<SampleMessage> messages;
};

inline std::vector<DetectionSample>& detection_samples() {
  static std::vector<DetectionSample> all;
  return all;
}

// `const DetectionSamples kSamples{{...}};` in a detection_samples.cpp adds
// its samples to detection_samples() before the tests run.
struct DetectionSamples {
  explicit DetectionSamples(std::vector<DetectionSample> samples) {
    for (auto& s : samples) detection_samples().push_back(std::move(s));
  }
};

}  // namespace loupe::testing
