// Which container and pod a process belongs to, from its cgroup path.
//
// The kubelet and the container runtimes name cgroups predictably (patterns
// with examples in docs/kubernetes.md), so the agent can tie a pid to a pod
// without asking the runtime: the path carries the pod uid and the container
// id, which the metadata store maps to namespace/pod/container.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loupe::k8s {

struct ContainerIdentity {
  std::string container_id;  // runtime id without the "containerd://" prefix
  std::string pod_uid;       // dashed form, as in metadata.uid
  std::string runtime;       // "containerd" | "cri-o" | "docker" | "" when the path does not say
  std::string qos;           // "guaranteed" | "burstable" | "besteffort" | "" outside kubepods
  bool empty() const { return container_id.empty() && pod_uid.empty(); }
};

// One cgroup path, e.g. "/kubepods.slice/.../cri-containerd-<id>.scope".
ContainerIdentity parse_cgroup_path(std::string_view path);

// The whole of /proc/PID/cgroup (v1 "N:ctrl:/path" lines, the v2 "0::/path"
// line, or both in hybrid mode). The line naming a container wins; a pod-only
// match is kept if no line names a container.
ContainerIdentity parse_proc_cgroup(std::string_view contents);

// Reads <proc_root>/PID/cgroup. nullopt when the file cannot be read (process
// gone, no permission); an empty identity for a process outside any container.
std::optional<ContainerIdentity> resolve_pid(uint32_t pid, const std::string& proc_root = "/proc");

}  // namespace loupe::k8s
