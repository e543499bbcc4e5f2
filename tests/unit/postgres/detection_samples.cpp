// A PostgreSQL session, for the detection tests across every protocol
// (tests/support/detection_samples.h).
#include "../../support/detection_samples.h"

#include "pg_wire.h"

namespace loupe::postgres::testing {
namespace {

using loupe::testing::kIn;
using loupe::testing::kOut;

const loupe::testing::DetectionSamples kSamples{{
    {"postgres",
     Protocol::Postgres,
     Role::Client,
     {{kOut, startup("alice", "shop")},
      {kIn, startup_reply()},
      {kOut, query("SELECT 1")},
      {kIn, row_description({"a"}) + data_row({"1"}) + complete("SELECT 1") + ready()}}},
}};

}  // namespace
}  // namespace loupe::postgres::testing
