#include "export/otlp/log_mapping.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "export/otlp/attributes.h"

namespace loupe::exporting::otlp {
namespace {

namespace otel_logs = opentelemetry::proto::logs::v1;

// The Loupe service of the entry's writer: "namespace/Kind/name" as
// /api/v1 names workloads, else the pod, else the unit or file.
std::string service_name(const logs::Entry& e) {
  if (!e.workload.empty())
    return e.namespace_.empty() ? e.workload : e.namespace_ + "/" + e.workload;
  if (!e.pod.empty()) return e.namespace_.empty() ? e.pod : e.namespace_ + "/" + e.pod;
  return e.file;
}

// The first number of each range of the data model's severities
// (TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24),
// in the order of logs::Level.
constexpr otel_logs::SeverityNumber kSeverity[] = {
    otel_logs::SEVERITY_NUMBER_UNSPECIFIED, otel_logs::SEVERITY_NUMBER_TRACE,
    otel_logs::SEVERITY_NUMBER_DEBUG,       otel_logs::SEVERITY_NUMBER_INFO,
    otel_logs::SEVERITY_NUMBER_WARN,        otel_logs::SEVERITY_NUMBER_ERROR,
    otel_logs::SEVERITY_NUMBER_FATAL,
};
static_assert(std::size(kSeverity) == static_cast<size_t>(logs::Level::Fatal) + 1);

}  // namespace

std::string resource_key(const logs::Entry& e) {
  std::string key;
  for (const std::string* part :
       {&e.node, &e.namespace_, &e.pod, &e.container, &e.workload, &e.pod_uid, &e.file}) {
    key += *part;
    key += '\0';
  }
  return key;
}

void fill_resource(const logs::Entry& e, opentelemetry::proto::resource::v1::Resource& out) {
  Attributes& a = *out.mutable_attributes();
  put(a, "service.name", service_name(e));
  put(a, "k8s.namespace.name", e.namespace_);
  put(a, "k8s.pod.name", e.pod);
  put(a, "k8s.pod.uid", e.pod_uid);
  put(a, "k8s.container.name", e.container);
  if (auto [key, name] = workload_attribute(e.workload); !key.empty()) put(a, key, name);
  put(a, "k8s.node.name", e.node);
  put_sdk(a);
}

void fill_log_record(const logs::Entry& e, uint64_t observed_ns, otel_logs::LogRecord& out) {
  out.set_time_unix_nano(e.time_ns);
  out.set_observed_time_unix_nano(observed_ns);
  out.set_severity_number(kSeverity[static_cast<size_t>(e.level)]);
  if (e.level != logs::Level::Unknown) {
    std::string text(logs::to_string(e.level));
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    out.set_severity_text(std::move(text));
  }
  out.mutable_body()->set_string_value(e.text);
  Attributes& a = *out.mutable_attributes();
  put(a, "log.iostream", e.stream == logs::Stream::Unknown ? "" : logs::to_string(e.stream));
  put(a, "log.file.path", e.file.starts_with('/') ? std::string_view(e.file) : "");
  if (e.truncated) put_bool(a, "loupe.truncated", true);
}

}  // namespace loupe::exporting::otlp
