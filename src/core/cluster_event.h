// A Kubernetes happening Loupe keeps: an Event from the API, or a state
// change it derived (OOMKilled, CrashLoopBackOff, restarts, node NotReady).
// Produced by the cluster collector (src/k8s/), sent to the server as JSON,
// stored (src/store/) and served at /api/v1/events: one type for all.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace loupe {

struct ClusterEvent {
  uint64_t time_ns = 0;  // when it happened (best known), else when Loupe saw it
  std::string namespace_;
  std::string kind;  // involved object: "Pod", "Node", ...
  std::string name;
  std::string container;  // for pod container conditions
  std::string reason;     // "OOMKilled", "CrashLoopBackOff", "Restarted", "Evicted",
                          // "NodeNotReady", "NodeReady", or an Event's reason
  std::string message;
  std::string type;  // "Warning" | "Normal"
  int64_t count = 1;
  int64_t exit_code = 0;  // for terminations
  uint64_t first_ns = 0, last_ns = 0;
  std::string source;  // "pod-status", "node-status", "event", "kernel" (OOM kills)
  // Facts only some events have, e.g. an OOM kill's pid, command, workload,
  // memory limit and usage (core/oom_kill.h); null when none.
  nlohmann::json details;
};

nlohmann::json to_json(const ClusterEvent& e);
// Missing keys keep their defaults; `time` (RFC 3339) is used when `time_ns` is absent.
ClusterEvent cluster_event_from_json(const nlohmann::json& j);

}  // namespace loupe
