#include "logs/severity.h"

#include <gtest/gtest.h>

namespace loupe::logs {
namespace {

TEST(Severity, JsonFields) {
  EXPECT_EQ(detect_level(R"({"level":"error","msg":"db down"})"), Level::Error);
  EXPECT_EQ(detect_level(R"({"ts":1,"severity": "WARNING","message":"slow"})"), Level::Warn);
  EXPECT_EQ(detect_level(R"({"lvl":"dbg","msg":"x"})"), Level::Debug);
  EXPECT_EQ(detect_level(R"({"msg":"level is fine","x":"error"})"), Level::Unknown);
}

TEST(Severity, Logfmt) {
  EXPECT_EQ(detect_level(R"(ts=2026-11-30T13:06:39Z level=warn msg="disk 91%")"), Level::Warn);
  EXPECT_EQ(detect_level(R"(time="x" lvl="info" msg=ok)"), Level::Info);
  EXPECT_EQ(detect_level("loglevel=error msg=x"), Level::Unknown);  // "level" must start a key
}

TEST(Severity, Prefixes) {
  EXPECT_EQ(detect_level("[ERROR] cannot connect"), Level::Error);
  EXPECT_EQ(detect_level("2026-11-30 13:06:39,123 INFO  [main] o.a.c.Server - started"),
            Level::Info);
  EXPECT_EQ(detect_level("WARN: retrying"), Level::Warn);
  EXPECT_EQ(detect_level("2026/11/30 13:06:39 [error] 12#12: *1 open() failed"), Level::Error);
  EXPECT_EQ(detect_level("<crit> out of memory"), Level::Fatal);
  EXPECT_EQ(detect_level("FATAL: password authentication failed"), Level::Fatal);
}

TEST(Severity, Klog) {
  EXPECT_EQ(detect_level("E1130 13:06:39.123456       1 reflector.go:138] failed"), Level::Error);
  EXPECT_EQ(detect_level("I1130 13:06:39.123456       1 main.go:10] ok"), Level::Info);
  EXPECT_EQ(detect_level("W0101 00:00:00.000000 x"), Level::Warn);
}

TEST(Severity, WordsInTheMessageAreNotLevels) {
  EXPECT_EQ(detect_level("user clicked the error page"), Level::Unknown);
  EXPECT_EQ(detect_level("GET /debug/info 200"), Level::Unknown);
  EXPECT_EQ(detect_level(std::string(100, 'x') + " ERROR late"), Level::Unknown);
}

TEST(Severity, StreamIsTheFallback) {
  EXPECT_EQ(level_of("plain", Stream::Stderr), Level::Error);
  EXPECT_EQ(level_of("plain", Stream::Stdout), Level::Info);
  EXPECT_EQ(level_of("plain", Stream::Unknown), Level::Unknown);
  EXPECT_EQ(level_of("[DEBUG] x", Stream::Stderr), Level::Debug);
}

}  // namespace
}  // namespace loupe::logs
