// A cluster model on a scratch store, and collector payloads to feed it,
// for tests of what waits for the model (pending_enrichment, metric_hold).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "../store/temp_dir.h"
#include "server/cluster_model.h"

namespace loupe::server::testing_model {

constexpr uint64_t kSec = 1'000'000'000ULL;

// A collector payload: type "snapshot" (body: the snapshot) or "changes".
inline nlohmann::json payload(const char* type, nlohmann::json body) {
  nlohmann::json p{{"kind", "LoupeK8sIngest"}, {"type", type}, {"events", nlohmann::json::array()}};
  p[std::string(type) == "snapshot" ? "snapshot" : "changes"] = std::move(body);
  return p;
}

inline nlohmann::json empty_snapshot() {
  using nlohmann::json;
  return {{"pods", json::array()},  {"services", json::array()},   {"workloads", json::array()},
          {"nodes", json::array()}, {"ip_history", json::array()}, {"seq", 0}};
}

struct ModelFixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store = store::open_sqlite_store(dir.path() + "/db");
  ClusterModel model{*store, 0};
  uint64_t now = 1000 * kSec;  // the test's clock
};

}  // namespace loupe::server::testing_model
