// The cluster inventory behind /api/v1/workloads, /pods and /nodes: every
// object the collector reported, with or without traffic, joined with the
// RED numbers the store has for the window (docs/api.md). Workloads and
// pods that served traffic but are unknown to the cluster model (a bare
// host, a pod deleted since) are still listed, with their RED numbers only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "k8s/metadata_store.h"
#include "store/store.h"

namespace loupe::server {

struct InventoryQuery {
  std::optional<std::string> namespace_;
  std::optional<std::string> workload;  // "namespace/Kind/name"
  store::TimeRange range;
  uint64_t now_ns = 0;
};

nlohmann::json workloads_json(const k8s::MetadataStore& model, store::Store& store,
                              const InventoryQuery& q);
nlohmann::json pods_json(const k8s::MetadataStore& model, store::Store& store,
                         const InventoryQuery& q);
nlohmann::json nodes_json(const k8s::MetadataStore& model);

}  // namespace loupe::server
