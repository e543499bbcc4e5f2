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

// The shipper's hand-written batch is the DOM's document, for full and
// sparse entries and for text no JSON library would write as it is.
TEST(LogEntry, BatchJsonIsTheDomsDocument) {
  Entry full;
  full.time_ns = 1'800'000'000'000'000'001ULL;
  full.stream = Stream::Stderr;
  full.level = Level::Error;
  full.text = "quote \" backslash \\ tab \t nl \n nul " + std::string(1, '\0') + " \x7f é 日本";
  full.truncated = true;
  full.source = "src";
  full.offset = 18'446'744'073'709'551'615ULL;
  full.file = "/var/log/pods/a_b_c/d/0.log";
  full.node = "n";
  full.namespace_ = "ns";
  full.pod = "p";
  full.container = "c";
  full.workload = "Deployment/w";
  full.pod_uid = "u";
  Entry sparse;
  sparse.text = "only text";
  nlohmann::json want = nlohmann::json::array({to_json(full), to_json(sparse)});
  nlohmann::json got = nlohmann::json::parse(batch_json({full, sparse}));
  EXPECT_EQ(got.at("entries"), want);
  EXPECT_EQ(nlohmann::json::parse(batch_json({})).at("entries"), nlohmann::json::array());
  // Bytes that are not UTF-8 (a file name, say) still make valid JSON.
  sparse.file = "bad \xff\xfe name";
  got = nlohmann::json::parse(batch_json({sparse}));
  EXPECT_EQ(got["entries"][0]["file"], "bad \uFFFD\uFFFD name");
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
