// Loupe's own health as Prometheus metrics (`loupe_*`, docs/export.md):
// what the capturing agent saw and lost, what the ingest queue took,
// dropped and holds, the store's size, and every remote agent's last stats
// report (sent, queued, spooled, dropped), labelled by node.
#pragma once

#include <nlohmann/json.hpp>

#include "export/exposition.h"
#include "pipeline/ingest_queue.h"
#include "store/store.h"

namespace loupe::server {

struct HealthInputs {
  nlohmann::json agent;   // the embedded agent's status (`loupe run`), else null
  nlohmann::json agents;  // AgentStatsBoard::to_json: {"<node>": {...}}
  store::StoreStats store;
  pipeline::IngestStats ingest;
};

void write_health_metrics(exporting::ExpositionWriter& w, const HealthInputs& in);

// Only what agents report: build info, capture (events, drops, records,
// lost connections) and delivery (sent, queued, spooled, dropped). What a
// node agent serves on its own /metrics (`loupe agent --metrics-listen`),
// with its own report as the one entry of `agents`.
void write_agent_health_metrics(exporting::ExpositionWriter& w, const nlohmann::json& agent,
                                const nlohmann::json& agents);

}  // namespace loupe::server
