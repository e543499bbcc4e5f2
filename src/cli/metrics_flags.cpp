#include "cli/metrics_flags.h"

#include "core/time_format.h"

namespace loupe::cli {

void add_metrics_flags(CLI::App& cmd, MetricsFlags& flags) {
  cmd.add_option("--metrics-interval", flags.interval,
                 "How often CPU, memory and OOM metrics of the node and its cgroups are sampled "
                 "(e.g. 10s; 0 turns metrics off)")
      ->envname("LOUPE_METRICS_INTERVAL")
      ->capture_default_str();
}

std::optional<metrics::MetricsOptions> metrics_options(const MetricsFlags& flags,
                                                       const std::string& node) {
  std::optional<uint64_t> ns =
      flags.interval == "0" ? std::optional<uint64_t>(0) : parse_duration(flags.interval);
  if (!ns || (*ns != 0 && *ns < 1'000'000'000ULL))
    throw CLI::ValidationError("--metrics-interval",
                               "expected a duration of at least 1s like 10s "
                               "(or 0 for off), got '" +
                                   flags.interval + "'");
  if (*ns == 0) return std::nullopt;
  metrics::MetricsOptions o;
  o.interval = std::chrono::milliseconds(*ns / 1'000'000);
  o.node = node;
  o.mounts = metrics::host_cgroup_mounts();
  return o;
}

}  // namespace loupe::cli
