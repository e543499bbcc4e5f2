// --metrics-interval, shared by `loupe run` and `loupe agent`.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "agent/metrics/metrics_sampler.h"

namespace loupe::cli {

struct MetricsFlags {
  std::string interval = "10s";
};

void add_metrics_flags(CLI::App& cmd, MetricsFlags& flags);

// The sampler's options for this host, or nullopt when --metrics-interval
// is 0 (metrics off). Throws CLI::ValidationError on a bad interval.
std::optional<metrics::MetricsOptions> metrics_options(const MetricsFlags& flags,
                                                       const std::string& node);

}  // namespace loupe::cli
