#include "cli/otlp_flags.h"

#include "core/time_format.h"

namespace loupe::cli {
namespace {

std::chrono::milliseconds duration_flag(const std::string& value, const char* flag,
                                        bool zero_allowed) {
  std::optional<uint64_t> ns = value == "0" ? std::optional<uint64_t>(0) : parse_duration(value);
  if (!ns || (!zero_allowed && *ns == 0))
    throw CLI::ValidationError(flag, "expected a duration like 10s, got '" + value + "'");
  return std::chrono::milliseconds(*ns / 1'000'000);
}

}  // namespace

void add_otlp_flags(CLI::App& cmd, OtlpFlags& f) {
  const char* group = "OTLP export";
  cmd.add_option("--otlp-endpoint", f.endpoint,
                 "Send spans, logs and metrics to this OpenTelemetry collector (OTLP/HTTP base "
                 "URL, e.g. http://collector:4318; /v1/traces, /v1/logs and /v1/metrics are "
                 "appended)")
      ->envname("LOUPE_OTLP_ENDPOINT")
      ->group(group);
  cmd.add_option("--otlp-header", f.headers,
                 "Header sent with every OTLP request, K=V (repeatable), e.g. an API key")
      ->group(group);
  cmd.add_option("--otlp-protocol", f.protocol, "OTLP encoding")
      ->check(CLI::IsMember({"http/protobuf", "http/json"}))
      ->envname("LOUPE_OTLP_PROTOCOL")
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-sample-ratio", f.sample_ratio,
                 "Share of traces sent (by trace id); failed and slow (--otlp-slow) requests "
                 "are always sent")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-slow", f.slow,
                 "Requests at least this long are always sent, whatever the sample ratio")
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-metrics-interval", f.metrics_interval,
                 "How often the request metrics are pushed over OTLP (0: never)")
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-link-delay", f.link_delay,
                 "How long each span waits for the request it was made in before it is sent "
                 "with its parent (docs/traces.md); calls of longer requests are sent as traces "
                 "of their own")
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-timeout", f.timeout, "Connect and read timeout of each OTLP request")
      ->capture_default_str()
      ->group(group);
  cmd.add_option("--otlp-max-queue-mib", f.max_queue_mib,
                 "Memory for spans (and as much for log entries) waiting to be sent; beyond "
                 "it new ones are dropped and counted")
      ->check(CLI::Range(size_t{1}, size_t{4096}))
      ->capture_default_str()
      ->group(group);
  cmd.add_flag("!--no-otlp-logs", f.logs,
               "Do not send log entries over OTLP (spans and metrics only)")
      ->group(group);
}

std::optional<exporting::otlp::ExporterOptions> otlp_options(
    const OtlpFlags& f, const exporting::RequestMetrics* metrics) {
  if (f.endpoint.empty()) return std::nullopt;
  exporting::otlp::ExporterOptions o;
  std::string error;
  auto endpoint = exporting::otlp::parse_endpoint(f.endpoint, error);
  if (!endpoint) throw CLI::ValidationError("--otlp-endpoint", error);
  o.sender.endpoint = *endpoint;
  for (const auto& h : f.headers) {
    auto eq = h.find('=');
    if (eq == 0 || eq == std::string::npos || h.find_first_of("\r\n") != std::string::npos)
      throw CLI::ValidationError("--otlp-header", "expected K=V, got '" + h + "'");
    o.sender.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }
  auto encoding = exporting::otlp::encoding_from_string(f.protocol);
  if (!encoding)
    throw CLI::ValidationError("--otlp-protocol",
                               "expected http/protobuf or http/json, got '" + f.protocol + "'");
  o.sender.encoding = *encoding;
  o.sender.timeout = duration_flag(f.timeout, "--otlp-timeout", false);
  o.sample_ratio = f.sample_ratio;
  o.slow_ns = static_cast<uint64_t>(duration_flag(f.slow, "--otlp-slow", true).count()) * 1'000'000;
  o.metrics_interval = duration_flag(f.metrics_interval, "--otlp-metrics-interval", true);
  o.max_queue_bytes = f.max_queue_mib << 20;
  o.link_delay = duration_flag(f.link_delay, "--otlp-link-delay", true);
  o.metrics = metrics;
  o.export_logs = f.logs;
  return o;
}

}  // namespace loupe::cli
