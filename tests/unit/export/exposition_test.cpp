#include "export/exposition.h"

#include <gtest/gtest.h>

namespace loupe::exporting {
namespace {

TEST(Exposition, EscapesQuotesBackslashesAndNewlinesInLabelValues) {
  std::string out;
  ExpositionWriter::append_escaped(out, "a\"b\\c\nd");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
}

TEST(Exposition, InvalidUtf8BecomesTheReplacementCharacter) {
  std::string out;
  ExpositionWriter::append_escaped(out, "/poison\xff\xfe");
  EXPECT_EQ(out, "/poison\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Exposition, TextFormatNamesCounterFamiliesWithTotal) {
  ExpositionWriter w(ExpositionFormat::PrometheusText);
  w.family("loupe_requests", MetricType::Counter, "Requests.\nSecond line");
  Label l[] = {{"service_name", "web:80"}, {"empty", ""}};
  w.counter(l, 3);
  EXPECT_EQ(w.finish(),
            "# HELP loupe_requests_total Requests.\\nSecond line\n"
            "# TYPE loupe_requests_total counter\n"
            "loupe_requests_total{service_name=\"web:80\"} 3\n");
}

TEST(Exposition, OpenMetricsHasUnitsBareCounterFamiliesAndEof) {
  ExpositionWriter w(ExpositionFormat::OpenMetrics);
  w.family("loupe_requests", MetricType::Counter, "Requests.");
  w.counter({}, 1);
  w.family("x_duration_seconds", MetricType::Histogram, "Durations.", "seconds");
  double bounds[] = {0.5, 1};
  uint64_t cumulative[] = {1, 3};
  Label l[] = {{"route", "/a"}};
  w.histogram(l, bounds, cumulative, 2.25, 4);
  EXPECT_EQ(w.finish(),
            "# HELP loupe_requests Requests.\n"
            "# TYPE loupe_requests counter\n"
            "loupe_requests_total 1\n"
            "# HELP x_duration_seconds Durations.\n"
            "# TYPE x_duration_seconds histogram\n"
            "# UNIT x_duration_seconds seconds\n"
            "x_duration_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
            "x_duration_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "x_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "x_duration_seconds_sum{route=\"/a\"} 2.25\n"
            "x_duration_seconds_count{route=\"/a\"} 4\n"
            "# EOF\n");
}

TEST(Exposition, NegotiatesOpenMetricsFromPrometheusAcceptHeader) {
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                             "q=0.5,*/*;q=0.1"),
            ExpositionFormat::OpenMetrics);
  EXPECT_EQ(negotiate_format("*/*"), ExpositionFormat::PrometheusText);
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::PrometheusText);
}

TEST(Exposition, NumbersReadBackExactly) {
  std::string out;
  ExpositionWriter::append_number(out, 0.1);
  out += ' ';
  ExpositionWriter::append_number(out, 1e-05);
  out += ' ';
  ExpositionWriter::append_number(out, 123456789);
  EXPECT_EQ(out, "0.1 1e-05 123456789");
}

}  // namespace
}  // namespace loupe::exporting
