// A MySQL session, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include "mysql_wire.h"

namespace loupe::mysql::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"mysql",
     Protocol::Mysql,
     Role::Client,
     {{kIn, greeting(kCaps | kClientDeprecateEof)},
      {kOut, handshake_response(kCaps | kClientDeprecateEof, "shop")},
      {kIn, packet(2, "\x01\x03") + ok(3)},
      {kOut, query("SELECT 1")},
      {kIn, result_set({"a"}, {{"1"}}, true)}}},
}};

}  // namespace
}  // namespace loupe::mysql::testing
