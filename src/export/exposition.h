// Writes metrics in the Prometheus text exposition format (version 0.0.4)
// or in OpenMetrics 1.0 (what Prometheus asks for first in its Accept
// header). The two differ in small ways this class owns: a counter family is
// named without `_total` in OpenMetrics, OpenMetrics has `# UNIT` lines and
// ends with `# EOF`. Label values are escaped (backslash, double quote,
// newline) and made valid UTF-8, so captured text can never break a scrape.
//
//   ExpositionWriter w(ExpositionFormat::OpenMetrics);
//   w.family("loupe_requests", MetricType::Counter, "Requests served.");
//   w.counter({{"service_name", "nginx:80"}}, 42);
//   std::string body = w.finish();
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace loupe::exporting {

enum class ExpositionFormat { PrometheusText, OpenMetrics };
enum class MetricType { Counter, Gauge, Histogram };

// The format a scraper asked for in its Accept header: OpenMetrics when it
// lists application/openmetrics-text (Prometheus does), else the text format.
ExpositionFormat negotiate_format(std::string_view accept_header);
// The Content-Type of a response in `format`.
std::string_view content_type(ExpositionFormat format);

struct Label {
  std::string_view name;  // a valid label name; the caller's constant
  std::string_view value;
};
using Labels = std::span<const Label>;

class ExpositionWriter {
 public:
  explicit ExpositionWriter(ExpositionFormat format) : format_(format) {}

  // Starts a metric family. `name` is the base name: without `_total` for
  // counters and without `_bucket`/`_sum`/`_count` for histograms. `unit`,
  // when given, is the name's unit suffix ("seconds", "bytes").
  void family(std::string_view name, MetricType type, std::string_view help,
              std::string_view unit = {});

  // Samples of the current family. Labels with an empty value are left out
  // (Prometheus treats an empty label as an absent one).
  void counter(Labels labels, double value);
  void gauge(Labels labels, double value);
  // `cumulative[i]` observations were <= bounds[i]; `count` is the +Inf
  // bucket.
  void histogram(Labels labels, std::span<const double> bounds,
                 std::span<const uint64_t> cumulative, double sum, uint64_t count);

  // The text so far, with `# EOF` in OpenMetrics.
  std::string finish();

  // Exposed for tests: a label value as it appears between the quotes.
  static void append_escaped(std::string& out, std::string_view value);
  // A sample value: shortest text that reads back as the same double;
  // "+Inf", "-Inf", "NaN".
  static void append_number(std::string& out, double value);

 private:
  void sample(std::string_view suffix, Labels labels, const Label* extra, double value);

  ExpositionFormat format_;
  std::string name_;
  std::string out_;
};

}  // namespace loupe::exporting
