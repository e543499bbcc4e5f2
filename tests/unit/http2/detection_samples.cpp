// The HTTP/2 connection preface, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include <string>

namespace loupe::http2::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"http2_preface",
     Protocol::Http2,
     Role::Server,
     {{kIn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + std::string("\0\0\0\4\0\0\0\0\0", 9)}}},
}};

}  // namespace
}  // namespace loupe::http2::testing
