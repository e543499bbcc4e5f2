// Kubernetes routes of the API (docs/api.md): the collector's ingest,
// cluster events, and the inventory (workloads, pods, nodes) with RED.
#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "server/inventory.h"

namespace loupe::server {

void ApiServer::k8s_routes() {
  using nlohmann::json;
  auto& s = router_;

  s.post("/api/v1/k8s/ingest", json_handler([this](const http::Request& req, http::Response& res) {
           // The HTTP layer has checked the token and undone Content-Encoding.
           auto body = parse_json_capped(req.body, kMaxValuesClusterBody);
           json applied = cluster_->ingest(body, now_unix_ns());
           release_held_metrics(false);  // the model moved: their pods may be known now
           send_json(res, applied);
         }));

  s.get("/api/v1/events", json_handler([this](const http::Request& req, http::Response& res) {
          store::EventQuery q;
          q.namespace_ = get_string(req.params, "namespace");
          q.object = get_string(req.params, "object");
          q.reason = get_string(req.params, "reason");
          q.type = get_string(req.params, "type");
          q.range = get_range(req.params, now_unix_ns());
          q.limit = get_limit(req.params);
          json out = json::array();
          for (const auto& e : store_.events(q)) out.push_back(to_json(e));
          send_json(res, out);
        }));

  auto inventory_query = [](const http::Request& req) {
    InventoryQuery q;
    q.now_ns = now_unix_ns();
    q.namespace_ = get_string(req.params, "namespace");
    q.workload = get_string(req.params, "workload");
    q.range = get_range(req.params, q.now_ns);
    return q;
  };

  s.get("/api/v1/workloads",
        json_handler([this, inventory_query](const http::Request& req, http::Response& res) {
          json out = workloads_json(cluster_->model(), store_, inventory_query(req));
          keep_busiest(out.get_ref<json::array_t&>(), get_list_limit(req.params));
          send_json(res, out);
        }));

  s.get("/api/v1/pods",
        json_handler([this, inventory_query](const http::Request& req, http::Response& res) {
          json out = pods_json(cluster_->model(), store_, inventory_query(req));
          keep_busiest(out.get_ref<json::array_t&>(), get_list_limit(req.params));
          send_json(res, out);
        }));

  s.get("/api/v1/nodes", json_handler([this](const http::Request& req, http::Response& res) {
          json out = nodes_json(cluster_->model());
          keep_busiest(out.get_ref<json::array_t&>(), get_list_limit(req.params));
          send_json(res, out);
        }));
}

}  // namespace loupe::server
