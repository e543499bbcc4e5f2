// A NATS session from the server's greeting, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

namespace loupe::nats::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"nats",
     Protocol::Nats,
     Role::Client,
     {{kIn, "INFO {\"server_id\":\"x\"}\r\n"},
      {kOut, "CONNECT {\"verbose\":false}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n"},
      {kIn, "MSG a 1 2\r\nhi\r\nPONG\r\n"}}},
}};

}  // namespace
}  // namespace loupe::nats::testing
