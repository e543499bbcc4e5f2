#include "core/oom_kill.h"

#include <cstdio>

namespace loupe {

namespace {

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

nlohmann::json to_json(const OomKill& k) {
  return {{"time_ns", k.time_ns},
          {"pid", k.pid},
          {"command", k.command},
          {"cgroup", k.cgroup},
          {"pod_uid", k.pod_uid},
          {"container_id", k.container_id},
          {"node", k.node},
          {"memory_limit_bytes", k.memory_limit_bytes},
          {"memory_usage_bytes", k.memory_usage_bytes}};
}

OomKill oom_kill_from_json(const nlohmann::json& j) {
  OomKill k;
  k.time_ns = j.value("time_ns", uint64_t{0});
  k.pid = j.value("pid", uint32_t{0});
  k.command = j.value("command", "");
  k.cgroup = j.value("cgroup", "");
  k.pod_uid = j.value("pod_uid", "");
  k.container_id = j.value("container_id", "");
  k.node = j.value("node", "");
  k.memory_limit_bytes = j.value("memory_limit_bytes", uint64_t{0});
  k.memory_usage_bytes = j.value("memory_usage_bytes", uint64_t{0});
  return k;
}

ClusterEvent to_cluster_event(const OomKill& k, const std::string& namespace_,
                              const std::string& pod, const std::string& container,
                              const std::string& workload) {
  ClusterEvent e;
  e.time_ns = e.first_ns = e.last_ns = k.time_ns;
  e.namespace_ = namespace_;
  e.kind = pod.empty() ? "Cgroup" : "Pod";
  e.name = pod.empty() ? k.cgroup : pod;
  e.container = container;
  e.reason = "OOMKilled";
  e.type = "Warning";
  e.source = "kernel";
  std::string who = k.pid ? "process " + std::to_string(k.pid) + " (" + k.command + ")"
                          : std::string("a process");
  std::string where = pod.empty() ? "cgroup " + k.cgroup
                                  : "container " + container + " of pod " + namespace_ + "/" + pod;
  e.message = "OOM killer killed " + who + " in " + where;
  if (k.memory_limit_bytes) e.message += "; limit " + mib(k.memory_limit_bytes);
  if (k.memory_usage_bytes) e.message += ", usage " + mib(k.memory_usage_bytes);
  e.details = {{"pid", k.pid},
               {"command", k.command},
               {"cgroup", k.cgroup},
               {"workload", workload},
               {"node", k.node},
               {"memory_limit_bytes", k.memory_limit_bytes},
               {"memory_usage_bytes", k.memory_usage_bytes}};
  return e;
}

}  // namespace loupe
