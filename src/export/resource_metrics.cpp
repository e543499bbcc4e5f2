#include "export/resource_metrics.h"

#include <array>
#include <string_view>

namespace loupe::exporting {
namespace {

std::string_view prefix_of(std::string_view entity) {
  if (entity == "pod") return "k8s_pod_";
  if (entity == "container") return "container_";
  if (entity == "process") return "process_";
  return "";  // node: the catalog's names start with node_
}

// Prometheus reserves the `_count` suffix for histograms and summaries.
std::string_view exported_name(std::string_view metric) {
  return metric == "node_cpu_count" ? std::string_view("node_cpus") : metric;
}

// The catalog's label kinds as OpenTelemetry attribute names.
std::string_view label_name(std::string_view catalog_label) {
  if (catalog_label == "mode") return "cpu_mode";
  if (catalog_label == "mount") return "system_filesystem_mountpoint";
  if (catalog_label == "device") return "system_device";
  if (catalog_label == "interface") return "network_interface_name";
  if (catalog_label == "peer") return "network_peer_address";
  return "";
}

// Splits "a/b/c" into at most n parts (the last keeps any further slashes).
template <size_t N>
std::array<std::string_view, N> split(std::string_view s) {
  std::array<std::string_view, N> out{};
  for (size_t i = 0; i + 1 < N; ++i) {
    auto slash = s.find('/');
    if (slash == std::string_view::npos) {
      out[i] = s;
      return out;
    }
    out[i] = s.substr(0, slash);
    s.remove_prefix(slash + 1);
  }
  out[N - 1] = s;
  return out;
}

}  // namespace

void ResourceMetrics::update(const std::vector<MetricSample>& samples) {
  std::lock_guard lock(mu_);
  for (const MetricSample& s : samples) {
    const MetricInfo* info = find_metric(s.metric);
    if (!info || info->kind == MetricKind::Ratio) continue;
    Key key{s.metric, s.entity, s.name, s.label};
    auto it = series_.find(key);
    if (it == series_.end()) {
      if (series_.size() >= options_.max_series) {
        ++dropped_;
        continue;
      }
      it = series_.emplace(std::move(key), Value{}).first;
    }
    Value& v = it->second;
    v.value = info->kind == MetricKind::Counter ? v.value + s.value : s.value;
    v.time_ns = s.time_ns;
    v.workload = s.workload;
  }
}

void ResourceMetrics::write(ExpositionWriter& w, uint64_t now_ns) {
  std::lock_guard lock(mu_);
  std::erase_if(series_, [&](const auto& kv) {
    return kv.second.time_ns + options_.stale_after_ns < now_ns;
  });
  std::string family;
  for (const auto& [key, v] : series_) {
    const auto& [metric, entity, name, label] = key;
    const MetricInfo* info = find_metric(metric);
    bool counter = info->kind == MetricKind::Counter;
    std::string full = std::string(prefix_of(entity)) + std::string(exported_name(metric));
    if (full != family) {
      family = full;
      w.family(family, counter ? MetricType::Counter : MetricType::Gauge, info->help);
    }
    std::vector<Label> labels;
    if (entity == "node") {
      labels.push_back({"k8s_node_name", name});
    } else if (entity == "process") {
      labels.push_back({"process_executable_name", name});
    } else if (name.starts_with('/')) {  // a bare host's cgroup
      labels.push_back({"cgroup_path", name});
    } else {
      auto parts = split<3>(name);  // namespace/pod[/container]
      labels.push_back({"k8s_namespace_name", parts[0]});
      labels.push_back({"k8s_pod_name", parts[1]});
      if (entity == "container") labels.push_back({"k8s_container_name", parts[2]});
    }
    if (!v.workload.empty()) labels.push_back({"service_name", v.workload});
    if (!label.empty() && !label_name(info->label).empty())
      labels.push_back({label_name(info->label), label});
    counter ? w.counter(labels, v.value) : w.gauge(labels, v.value);
  }
  w.family("loupe_resource_series_dropped", MetricType::Counter,
           "Resource-metric samples of new series past the series cap.");
  w.counter({}, static_cast<double>(dropped_));
}

}  // namespace loupe::exporting
