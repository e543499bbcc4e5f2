// Loupe's own health as Prometheus metrics (`loupe_*`, docs/export.md):
// what the capturing agent saw and lost, what the ingest queue took,
// dropped and holds, the store's size, and every remote agent's last stats
// report (sent, queued, spooled, dropped), labelled by node.
#pragma once

#include <nlohmann/json.hpp>

#include "export/exposition.h"
#include "store/ingest_queue.h"
#include "store/store.h"

namespace loupe::server {

struct HealthInputs {
  nlohmann::json agent;   // the embedded agent's status (`loupe run`), else null
  nlohmann::json agents;  // AgentStatsBoard::to_json: {"<node>": {...}}
  store::StoreStats store;
  store::IngestStats ingest;
};

void write_health_metrics(exporting::ExpositionWriter& w, const HealthInputs& in);

}  // namespace loupe::server
