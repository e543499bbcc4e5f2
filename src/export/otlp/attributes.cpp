#include "export/otlp/attributes.h"

#include <array>
#include <string>

namespace loupe::exporting::otlp {

using opentelemetry::proto::common::v1::KeyValue;

void put(Attributes& attrs, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  KeyValue* kv = attrs.Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}

void put_int(Attributes& attrs, std::string_view key, int64_t value) {
  KeyValue* kv = attrs.Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_int_value(value);
}

void put_bool(Attributes& attrs, std::string_view key, bool value) {
  KeyValue* kv = attrs.Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_bool_value(value);
}

std::pair<std::string_view, std::string_view> workload_attribute(std::string_view workload) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kKinds = {{
      {"Deployment", "k8s.deployment.name"},
      {"StatefulSet", "k8s.statefulset.name"},
      {"DaemonSet", "k8s.daemonset.name"},
      {"ReplicaSet", "k8s.replicaset.name"},
      {"Job", "k8s.job.name"},
      {"CronJob", "k8s.cronjob.name"},
  }};
  auto slash = workload.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view kind = workload.substr(0, slash);
  for (const auto& [k, key] : kKinds)
    if (k == kind) return {key, workload.substr(slash + 1)};
  return {};
}

void put_sdk(Attributes& attrs) {
  put(attrs, "telemetry.sdk.name", "loupe");
  put(attrs, "telemetry.sdk.language", "cpp");
  put(attrs, "telemetry.sdk.version", LOUPE_VERSION);
}

}  // namespace loupe::exporting::otlp
