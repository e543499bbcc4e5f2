#include "alerts/builtin_rules.h"

namespace loupe::alerts {
namespace {

constexpr uint64_t kMinute = 60'000'000'000ULL;

Rule builtin(std::string name, Signal signal, std::string summary) {
  Rule r;
  r.name = std::move(name);
  r.builtin = true;
  r.signal = signal;
  r.annotations["summary"] = std::move(summary);
  return r;
}

}  // namespace

std::vector<Rule> builtin_rules() {
  std::vector<Rule> rules;

  // A service failing more than 5% of at least 1 req/s for 5 minutes: 5xx for
  // HTTP, errors for databases, caches and DNS (the record's error flag).
  Rule errors = builtin("ServiceErrorRate", Signal::ErrorRate,
                        "{{ .labels.service }}: {{ .value }} of requests fail");
  errors.group_by = {"service"};
  errors.threshold = 0.05;
  errors.window_ns = 5 * kMinute;
  errors.for_ns = 5 * kMinute;
  errors.min_requests = 300;  // 1 req/s over the window
  errors.severity = "critical";
  rules.push_back(errors);

  // p95 more than 3x its baseline (the same 10 minutes on previous days).
  Rule slow = builtin("ServiceLatencyBaseline", Signal::Latency,
                      "{{ .labels.service }}: p95 {{ .value }}% above its baseline");
  slow.group_by = {"service"};
  slow.quantile = 0.95;
  slow.kind = ConditionKind::BaselinePct;
  slow.threshold = 200;  // +200% = 3x
  slow.window_ns = 10 * kMinute;
  slow.for_ns = 10 * kMinute;
  slow.min_requests = 100;
  rules.push_back(slow);

  // Kubernetes events, counted in the window.
  Rule oom = builtin(
      "ContainerOOMKilled", Signal::Event,
      "{{ .labels.namespace }}/{{ .labels.pod }}: container {{ .labels.container }} OOM killed");
  oom.reason = "OOMKilled";
  oom.group_by = {"namespace", "pod", "container", "workload", "node"};
  oom.op = Op::Ge;
  oom.threshold = 1;
  oom.window_ns = 5 * kMinute;
  oom.severity = "critical";
  rules.push_back(oom);

  Rule crash = builtin("ContainerCrashLooping", Signal::Event,
                       "{{ .labels.namespace }}/{{ .labels.pod }}: CrashLoopBackOff");
  crash.reason = "CrashLoopBackOff";
  crash.group_by = {"namespace", "pod"};
  crash.op = Op::Ge;
  crash.threshold = 1;
  crash.window_ns = 15 * kMinute;
  rules.push_back(crash);

  Rule restarts =
      builtin("ContainerRestarting", Signal::Event,
              "{{ .labels.namespace }}/{{ .labels.pod }}: {{ .value }} restarts in 15 min");
  restarts.reason = "Restarted";
  restarts.group_by = {"namespace", "pod"};
  restarts.threshold = 3;  // more than 3
  restarts.window_ns = 15 * kMinute;
  rules.push_back(restarts);

  // States from readiness transitions: the value is how long the pod or
  // node has been not ready (events of the last day; docs/alerts.md).
  Rule pod = builtin("PodNotReady", Signal::Event,
                     "{{ .labels.namespace }}/{{ .labels.pod }} not ready for {{ .value }} s");
  pod.reason = "PodNotReady";
  pod.cleared_by = {"PodReady", "PodGone"};
  pod.group_by = {"namespace", "pod"};
  pod.op = Op::Ge;
  pod.threshold = 600;  // 10 minutes
  pod.window_ns = 24 * 60 * kMinute;
  rules.push_back(pod);

  Rule node =
      builtin("NodeNotReady", Signal::Event, "{{ .labels.node }} is NotReady (for {{ .value }} s)");
  node.reason = "NodeNotReady";
  node.cleared_by = {"NodeReady", "NodeGone"};
  node.group_by = {"node"};
  node.op = Op::Ge;
  node.threshold = 0;  // at once
  node.window_ns = 24 * 60 * kMinute;
  node.severity = "critical";
  rules.push_back(node);

  // Resource metrics, by catalog name or derived ratio (docs/alerts.md).
  auto metric = [&](std::string name, std::string catalog, double threshold, uint64_t for_ns,
                    std::vector<std::string> group_by, std::string summary) {
    Rule r = builtin(std::move(name), Signal::Metric, std::move(summary));
    r.metric = std::move(catalog);
    r.threshold = threshold;
    r.window_ns = 5 * kMinute;
    r.for_ns = for_ns;
    r.group_by = std::move(group_by);
    rules.push_back(r);
  };
  metric("NodeMemoryHigh", "node_memory_used_ratio", 0.9, 0, {"node"},
         "{{ .labels.node }}: memory {{ .value }} used");
  metric("NodeCPUHigh", "node_cpu_usage_ratio", 0.9, 10 * kMinute, {"node"},
         "{{ .labels.node }}: CPU {{ .value }} busy");
  metric("ContainerCPUThrottled", "cpu_throttled_ratio", 0.25, 10 * kMinute,
         {"namespace", "pod", "container"},
         "{{ .labels.pod }}: CPU throttled {{ .value }} of the time");
  metric("ContainerMemoryNearLimit", "container_memory_limit_ratio", 0.9, 0,
         {"namespace", "pod", "container"},
         "{{ .labels.pod }}: working set at {{ .value }} of its limit");
  return rules;
}

}  // namespace loupe::alerts
