// A memcached text-protocol exchange, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

namespace loupe::memcached::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"memcached",
     Protocol::Memcached,
     Role::Client,
     {{kOut, "set k 0 0 5\r\nhello\r\nget k missing\r\n"},
      {kIn, "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n"}}},
}};

}  // namespace
}  // namespace loupe::memcached::testing
