#include "logs/log_entry.h"

#include <gtest/gtest.h>

namespace loupe::logs {
namespace {

TEST(LogEntry, JsonRoundTrip) {
  Entry e;
  e.time_ns = 1'800'000'000'000'000'001ULL;
  e.stream = Stream::Stderr;
  e.level = Level::Warn;
  e.text = "disk almost full";
  e.truncated = true;
  e.source = "fd01:1234:0:abcd";
  e.offset = 4096;
  e.file = "/var/log/pods/shop_api-1_uid/api/0.log";
  e.node = "node-1";
  e.namespace_ = "shop";
  e.pod = "api-1";
  e.container = "api";
  e.workload = "Deployment/api";
  e.pod_uid = "uid";
  Entry back = entry_from_json(to_json(e));
  EXPECT_EQ(to_json(back), to_json(e));
  EXPECT_EQ(back.namespace_, "shop");
  EXPECT_EQ(back.level, Level::Warn);
}

TEST(LogEntry, LevelAndStreamNames) {
  for (Level l : {Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Fatal})
    EXPECT_EQ(level_from_string(to_string(l)), l);
  EXPECT_EQ(level_from_string("bogus"), Level::Unknown);
  EXPECT_EQ(stream_from_string("stderr"), Stream::Stderr);
}

TEST(LogEntry, WrongTypesThrow) {
  EXPECT_THROW(entry_from_json(nlohmann::json{{"time_ns", "soon"}}), nlohmann::json::exception);
}

}  // namespace
}  // namespace loupe::logs
