#include "k8s/resources.h"

namespace loupe::k8s {

const std::vector<Resource>& all_resources() {
  static const std::vector<Resource> kAll = {
      {"pods", "/api/v1", "Pod"},
      {"services", "/api/v1", "Service"},
      {"nodes", "/api/v1", "Node"},
      {"events", "/api/v1", "Event"},
      {"endpointslices", "/apis/discovery.k8s.io/v1", "EndpointSlice"},
      {"replicasets", "/apis/apps/v1", "ReplicaSet"},
      {"deployments", "/apis/apps/v1", "Deployment"},
      {"statefulsets", "/apis/apps/v1", "StatefulSet"},
      {"daemonsets", "/apis/apps/v1", "DaemonSet"},
      {"jobs", "/apis/batch/v1", "Job"},
      {"cronjobs", "/apis/batch/v1", "CronJob"},
  };
  return kAll;
}

const Resource* find_resource(std::string_view name) {
  for (const auto& r : all_resources()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string collection_path(const Resource& r) {
  return std::string(r.api_path) + "/" + std::string(r.name);
}

}  // namespace loupe::k8s
