// JSON shapes of /api/v1 responses (documented in docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include "pipeline/ingest_queue.h"
#include "server/cluster_model.h"
#include "server/pending_enrichment.h"
#include "store/store.h"

namespace loupe::server {

nlohmann::json to_json(const store::ServiceSummary& s);
nlohmann::json to_json(const store::EndpointSummary& e);
nlohmann::json to_json(const store::LatencyPoint& p);
// record_to_json plus the resolved Loupe service (the callee for client
// records) in "service"; the record's own Kubernetes service moves to
// "k8s_service". "counted" says whether it counts in RED.
nlohmann::json to_json(const store::StoredRequest& r);
nlohmann::json to_json(const store::StoreStats& s, const pipeline::IngestStats& i);
nlohmann::json to_json(const store::MapEdge& e);
// The cluster model's size and the records waiting for it (/api/v1/status "k8s").
nlohmann::json k8s_status_json(const ClusterModel& model, const PendingEnrichmentStats& pending);
// GET /api/v1/losses: totals of the window and the minutes with any loss.
nlohmann::json losses_json(const std::vector<store::LossMinute>& minutes);
// Why POST /api/v1/ingest answers 503 for a batch that was not committed.
std::string ingest_failure_message(const pipeline::CommitResult& r);

nlohmann::json error_json(const std::string& message, const std::string& parameter = "");

}  // namespace loupe::server
