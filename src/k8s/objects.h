// Compact views of the API objects Loupe needs, extracted defensively: a
// missing or mistyped field yields an empty value, never an exception, so a
// surprising object from the API server cannot take the collector down.
// The same structs are the JSON shapes of snapshots and changes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
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

struct ContainerInfo {
  std::string name;
  std::string id;       // without the "containerd://" prefix
  std::string runtime;  // "containerd", "cri-o", "docker"
};

struct PodInfo {
  std::string uid, namespace_, name, node, phase;
  std::vector<std::string> ips;
  bool host_network = false;
  Labels labels;
  std::string owner_kind, owner_name;  // the controller ownerReference
  std::vector<ContainerInfo> containers;
  uint64_t start_ns = 0;    // status.startTime (or creation)
  uint64_t deleted_ns = 0;  // when Loupe saw it go; 0 while it exists
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
};

struct NodeInfo {
  std::string name;
  bool ready = false;
  std::vector<std::string> addresses;
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
