// GET /metrics: Prometheus scrapes (docs/export.md). Request metrics come
// from the store's record observer, resource metrics from the agents'
// latest samples, health from the same counters as /api/v1/status.
#include "core/time_format.h"
#include "export/exposition.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "server/health_metrics.h"

namespace loupe::server {

void ApiServer::prometheus_routes() {
  router_.get("/metrics", [this](const http::Request& req, http::Response& res) {
    auto format = exporting::negotiate_format(req.header("Accept"));
    exporting::ExpositionWriter w(format);
    try {
      if (options_.request_metrics) options_.request_metrics->write(w);
      if (options_.resource_metrics) options_.resource_metrics->write(w, now_unix_ns());
      if (options_.otlp) options_.otlp->write(w);
      write_health_metrics(w, {.agent = options_.status_provider ? options_.status_provider()
                                                                 : nlohmann::json(nullptr),
                               .agents = agents_->to_json(now_unix_ns()),
                               .store = store_.stats(),
                               .ingest = queue_.stats()});
    } catch (const std::exception& e) {
      res.set_error(500, std::string("internal error: ") + e.what());
      return;
    }
    res.set_content(w.finish(), std::string(exporting::content_type(format)));
  });
}

}  // namespace loupe::server
