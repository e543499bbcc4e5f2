// The API resources Loupe reads, and where each lives. The ClusterRole in
// deploy/ grants get/list/watch on exactly this set (checked by a test).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loupe::k8s {

struct Resource {
  std::string_view name;      // plural, the key used everywhere: "pods"
  std::string_view api_path;  // "/api/v1" or "/apis/apps/v1"
  std::string_view kind;      // "Pod"
};

const std::vector<Resource>& all_resources();
const Resource* find_resource(std::string_view name);

// "/api/v1/pods" (cluster-wide; Loupe always lists across namespaces).
std::string collection_path(const Resource& r);

}  // namespace loupe::k8s
