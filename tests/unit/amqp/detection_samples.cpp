// An AMQP 0-9-1 session, and a connection joined mid-way, for the detection tests across every
// protocol (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include <string>

#include "amqp_test_util.h"

namespace loupe::amqp::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"amqp",
     Protocol::Amqp,
     Role::Client,
     {{kOut, std::string(kProtocolHeader)},
      {kIn, method(0, 10, 10, std::string(2, '\0') + kEmptyTable)},
      {kOut, channel_open(1) + publish(1, "x", "k", "hi")},
      {kIn, channel_open_ok(1)}}},
    {"amqp_heartbeat_mid_connection",
     Protocol::Amqp,
     Role::Client,
     {{kOut, std::string("\x08\0\0\0\0\0\0\xCE", 8)}}},
}};

}  // namespace
}  // namespace loupe::amqp::testing
