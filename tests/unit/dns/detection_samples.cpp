// A DNS exchange over TCP, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include "dns_test_util.h"

namespace loupe::dns::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"dns_tcp",
     Protocol::Dns,
     Role::Client,
     {{kOut, tcp(query(7, "example.com", 1))},
      {kIn, tcp(response(7, "example.com", 1, 0, {a(1, 2, 3, 4)}))}}},
}};

}  // namespace
}  // namespace loupe::dns::testing
