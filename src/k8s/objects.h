// Compact views of the API objects Loupe needs, extracted defensively: a
// missing or mistyped field yields an empty value, never an exception, so a
// surprising object from the API server cannot take the collector down.
// The same structs are the JSON shapes of snapshots and changes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::k8s {

using Labels = std::map<std::string, std::string>;

// j["a"]["b"]... as a string, or "" when absent or not a string.
std::string jstr(const nlohmann::json& j, std::initializer_list<std::string_view> path);
const nlohmann::json* jget(const nlohmann::json& j, std::initializer_list<std::string_view> path);
int64_t jint(const nlohmann::json& j, std::initializer_list<std::string_view> path);
// RFC 3339 timestamp field -> unix ns, 0 when absent or malformed.
uint64_t jtime(const nlohmann::json& j, std::initializer_list<std::string_view> path);

// A container's last exit, as the kubelet reports it (lastState.terminated).
struct Termination {
  std::string reason;  // "OOMKilled", "Error", "Completed", ...
  int64_t exit_code = 0;
  uint64_t finished_ns = 0;
};

// CPU in cores and memory in bytes; unset when the spec does not say.
struct ResourceAmounts {
  std::optional<double> cpu_cores, memory_bytes;
};

struct ContainerInfo {
  std::string name;
  std::string id;       // without the "containerd://" prefix; empty until it runs
  std::string runtime;  // "containerd", "cri-o", "docker"
  std::string image;
  bool init = false;         // an init container
  std::string state;         // "running", "waiting", "terminated"; "" before the kubelet reports
  std::string state_reason;  // CrashLoopBackOff, ContainerCreating, Completed, ...
  bool ready = false;
  int64_t restarts = 0;
  uint64_t started_ns = 0;   // of the current run
  uint64_t finished_ns = 0;  // when state is "terminated"
  std::optional<Termination> last_termination;
  ResourceAmounts requests, limits;
};

struct PodInfo {
  std::string uid, namespace_, name, node, phase;
  std::vector<std::string> ips;
  bool host_network = false;
  Labels labels;
  std::string owner_kind, owner_name;     // the controller ownerReference
  std::vector<ContainerInfo> containers;  // spec order, init containers first
  uint64_t start_ns = 0;                  // status.startTime (or creation)
  uint64_t deleted_ns = 0;                // when Loupe saw it go; 0 while it exists
  bool ready = false;                     // the Ready condition
  std::string qos_class;                  // "Guaranteed", "Burstable", "BestEffort"
  std::string reason;                     // status.reason ("Evicted", ...)
  int64_t restarts() const;
  // When its last container exited, once all have (0 while any runs): the
  // pod serves nothing after this, so its IP is free for another pod.
  uint64_t stopped_ns() const;
  // A pod holds its IPs only while it can still run.
  bool holds_ips() const { return !host_network && phase != "Succeeded" && phase != "Failed"; }
};

struct ServiceInfo {
  std::string namespace_, name, type;
  std::vector<std::string> cluster_ips;  // "None" (headless) excluded
  Labels selector;
};

// A controller object: ReplicaSet, Job (whose owner matters for the
// workload name) and the top-level workloads themselves.
struct WorkloadInfo {
  std::string kind, namespace_, name;
  std::string owner_kind, owner_name;
  // Replicas the controller wants and has ready (DaemonSet: nodes scheduled
  // and ready; Job: parallelism and active); -1 when the kind has none.
  int64_t desired = -1, ready = -1;
  std::vector<std::string> images;  // of the pod template, in order
};

struct NodeCondition {
  std::string type;    // Ready, MemoryPressure, DiskPressure, PIDPressure, ...
  std::string status;  // "True", "False", "Unknown"
  std::string reason, message;
  uint64_t since_ns = 0;  // lastTransitionTime
};

// capacity / allocatable; pods is the pod count limit.
struct NodeResources {
  std::optional<double> cpu_cores, memory_bytes, pods;
};

struct NodeInfo {
  std::string name;
  bool ready = false;
  std::vector<std::string> addresses;
  std::vector<NodeCondition> conditions;
  NodeResources capacity, allocatable;
  std::string kernel_version, kubelet_version, os_image, container_runtime;
  bool unschedulable = false;
};

struct EndpointSliceInfo {
  std::string namespace_, name, service;
  std::vector<std::string> addresses;
};

PodInfo pod_from_api(const nlohmann::json& obj);
ServiceInfo service_from_api(const nlohmann::json& obj);
WorkloadInfo workload_from_api(std::string_view kind, const nlohmann::json& obj);
NodeInfo node_from_api(const nlohmann::json& obj);
EndpointSliceInfo endpointslice_from_api(const nlohmann::json& obj);

// Container state, times as unix ns; requests/limits with null when unset.
nlohmann::json to_json(const ContainerInfo& c);
nlohmann::json to_json(const PodInfo& p);
nlohmann::json to_json(const ServiceInfo& s);
nlohmann::json to_json(const WorkloadInfo& w);
nlohmann::json to_json(const NodeInfo& n);
nlohmann::json to_json(const EndpointSliceInfo& e);
PodInfo pod_from_json(const nlohmann::json& j);
ServiceInfo service_from_json(const nlohmann::json& j);
WorkloadInfo workload_from_json(const nlohmann::json& j);
NodeInfo node_from_json(const nlohmann::json& j);
EndpointSliceInfo endpointslice_from_json(const nlohmann::json& j);

// "containerd://abc" -> {"abc", "containerd"}.
ContainerInfo split_container_id(std::string_view name, std::string_view container_id);

}  // namespace loupe::k8s
