// The ingest decoders over parse_json_lists: what agents send decodes in
// order, malformed elements are named, and the caps answer 413.
#include "server/ingest_decode.h"

#include <gtest/gtest.h>

namespace loupe::server {
namespace {

std::string parameter_of(auto decode) {
  try {
    decode();
  } catch (const ParamError& e) {
    return e.parameter();
  }
  return "(accepted)";
}

TEST(IngestDecode, LogEntriesDecodeInOrderAndNeedASource) {
  auto entries = decode_log_ingest(R"({"entries": [
      {"source": "/var/log/a.log", "offset": 1, "text": "first"},
      {"source": "/var/log/a.log", "offset": 7, "text": "second", "level": "error"}]})",
                                   10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].text, "first");
  EXPECT_EQ(entries[1].offset, 7u);
  EXPECT_EQ(entries[1].level, logs::Level::Error);
  EXPECT_EQ(parameter_of([] { decode_log_ingest(R"({"entries": [{"source": "s"}, {}]})", 10); }),
            "entries[1]");
  EXPECT_EQ(parameter_of([] { decode_log_ingest(R"({"entries": [{"source": 5}]})", 10); }),
            "entries[0]");
  EXPECT_THROW(decode_log_ingest(R"({"entries": [{"source": "s"}, {"source": "s"}]})", 1),
               BatchTooLarge);
}

TEST(IngestDecode, MetricSamplesAndOomKillsAreCappedEach) {
  auto in = decode_metric_ingest(R"({"samples": [{"name": "n", "metric": "cpu", "value": 1.5}],
                                     "oom_kills": [{"pid": 7, "command": "java"}]})");
  ASSERT_EQ(in.samples.size(), 1u);
  EXPECT_EQ(in.samples[0].value, 1.5);
  ASSERT_EQ(in.oom_kills.size(), 1u);
  EXPECT_EQ(in.oom_kills[0].command, "java");
  EXPECT_TRUE(decode_metric_ingest("{}").samples.empty());
  std::string many = R"({"samples": [)";
  for (size_t i = 0; i < kMaxMetricItems; ++i) many += "{},";
  many += "{}]}";
  EXPECT_THROW(decode_metric_ingest(many), BatchTooLarge);
  EXPECT_EQ(parameter_of([] { decode_metric_ingest(R"({"oom_kills": [{"pid": "x"}]})"); }),
            "oom_kills[0]");
}

}  // namespace
}  // namespace loupe::server
