// Redis commands, RESP and inline, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include "redis_test_util.h"

namespace loupe::redis::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"redis", Protocol::Redis, Role::Client, {{kOut, command({"GET", "k"})}, {kIn, "$1\r\nv\r\n"}}},
    {"redis_inline", Protocol::Redis, Role::Server, {{kIn, "PING\r\n"}}},
}};

}  // namespace
}  // namespace loupe::redis::testing
