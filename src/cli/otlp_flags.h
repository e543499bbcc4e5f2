// --otlp-*: where `loupe run` and `loupe server` send spans, logs and metrics
// over OTLP/HTTP (docs/export.md#otlp).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "export/otlp/exporter.h"

namespace loupe::cli {

struct OtlpFlags {
  std::string endpoint;              // empty: no OTLP export
  std::vector<std::string> headers;  // "K=V"
  std::string protocol = "http/protobuf";
  double sample_ratio = 1.0;
  std::string slow = "1s";
  std::string metrics_interval = "60s";
  std::string timeout = "10s";
  std::string link_delay = "5s";
  size_t max_queue_mib = 32;
  bool logs = true;  // --no-otlp-logs turns it off
};

void add_otlp_flags(CLI::App& cmd, OtlpFlags& flags);

// The exporter's options, or nullopt without --otlp-endpoint. Throws
// CLI::ValidationError naming the bad flag.
std::optional<exporting::otlp::ExporterOptions> otlp_options(
    const OtlpFlags& flags, const exporting::RequestMetrics* metrics);

}  // namespace loupe::cli
