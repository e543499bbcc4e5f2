// A process the kernel's OOM killer killed, as the agent saw it (the
// oom/mark_victim tracepoint, or a cgroup's oom_kill counter moving). The
// server names its pod and workload and stores it as a ClusterEvent, so OOM
// kills come out of /api/v1/events with every other event.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/cluster_event.h"

namespace loupe {

struct OomKill {
  uint64_t time_ns = 0;
  uint32_t pid = 0;     // 0 when only the cgroup's counter said so
  std::string command;  // the killed process's comm
  std::string cgroup;   // the memory cgroup path, e.g. "/kubepods/burstable/pod<uid>/<id>"
  std::string pod_uid, container_id;  // from the cgroup path; empty outside kubepods
  std::string node;
  uint64_t memory_limit_bytes = 0;  // 0 when unlimited or unknown
  uint64_t memory_usage_bytes = 0;  // the cgroup's peak (v1 max_usage / v2 memory.peak) or usage
};

nlohmann::json to_json(const OomKill& k);
OomKill oom_kill_from_json(const nlohmann::json& j);

// Names a kill for /api/v1/events: kind "Pod" with namespace/pod/container
// when the server knows them, else kind "Cgroup" named by the cgroup path.
// `workload` is "namespace/Kind/name" or empty.
ClusterEvent to_cluster_event(const OomKill& k, const std::string& namespace_,
                              const std::string& pod, const std::string& container,
                              const std::string& workload);

}  // namespace loupe
