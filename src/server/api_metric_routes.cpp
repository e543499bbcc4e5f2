// Metric routes of the API (docs/api.md, docs/metrics.md): the agents'
// metric ingest, time series, the catalog of metric names and the list of
// series that exist.
#include <array>
#include <iostream>

#include "core/time_format.h"
#include "server/api_handler.h"
#include "server/api_server.h"
#include "server/ingest_decode.h"

namespace loupe::server {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 5> kEntities{"node", "pod", "workload", "container",
                                                    "process"};

std::string get_entity(const Params& p, bool required) {
  auto v = get_string(p, "entity");
  if (!v) {
    if (required)
      throw ParamError("entity",
                       "entity is required: node, pod, workload, container "
                       "or process");
    return "";
  }
  for (auto e : kEntities)
    if (*v == e) return *v;
  throw ParamError("entity", "'" + *v +
                                 "' is not an entity: use node, pod, workload, container "
                                 "or process");
}

json to_json(const MetricInfo& m) {
  json j{{"name", m.name},
         {"unit", m.unit},
         {"kind", to_string(m.kind)},
         {"entities", m.entities},
         {"help", m.help}};
  if (!m.label.empty()) j["label"] = m.label;
  if (m.kind == MetricKind::Ratio) {
    j["numerator"] = m.numerator;
    j["denominator"] = m.denominator;
  }
  return j;
}

}  // namespace

void ApiServer::ingest_metrics(std::vector<MetricSample> samples,
                               const std::vector<OomKill>& kills) {
  metric_hold_->submit(std::move(samples));
  if (kills.empty()) return;
  store::K8sIngest events;
  events.received_ns = now_unix_ns();
  for (const OomKill& k : kills) events.events.push_back(cluster_->to_event(k));
  store_.write_k8s(events);
}

void ApiServer::release_held_metrics(bool all) {
  try {
    if (all)
      metric_hold_->flush();
    else
      metric_hold_->release_due();
  } catch (const std::exception& e) {  // no agent to answer: the store's error goes to the log
    std::cerr << "loupe: storing metric samples held for their pod failed: " << e.what() << "\n";
  }
}

json ApiServer::metric_hold_status() const {
  MetricHoldStats h = metric_hold_->stats();
  return {{"waiting_for_pod", h.held},
          {"named_after_wait", h.named},
          {"unnamed_after_wait", h.unnamed},
          {"overflowed", h.overflowed}};
}

void ApiServer::metric_routes() {
  auto& s = router_;

  s.post("/api/v1/metrics/ingest",
         json_handler([this](const http::Request& req, http::Response& res) {
           // The HTTP layer has checked the token and undone Content-Encoding.
           MetricIngest in = decode_metric_ingest(req.body);
           size_t n = in.samples.size(), kills = in.oom_kills.size();
           ingest_metrics(std::move(in.samples), in.oom_kills);
           send_json(res, json{{"accepted", n}, {"oom_kills", kills}});
         }));

  s.get("/api/v1/metrics", json_handler([this](const http::Request& req, http::Response& res) {
          store::MetricQuery q;
          q.entity = get_entity(req.params, true);
          q.name = require_string(req.params, "name");
          q.metric = require_string(req.params, "metric");
          if (!find_metric(q.metric))
            throw ParamError(
                "metric", "'" + q.metric + "' is not a metric; /api/v1/metrics/catalog lists them");
          q.label = get_string(req.params, "label");
          q.range = get_range(req.params, now_unix_ns());
          q.step_s = get_metric_step(req.params, q.range);
          json out = json::array();
          for (const auto& p : store_.metrics(q)) out.push_back({{"t", p.t}, {"value", p.value}});
          send_json(res, out);
        }));

  s.get("/api/v1/metrics/catalog", json_handler([](const http::Request&, http::Response& res) {
          json out = json::array();
          for (const MetricInfo& m : metric_catalog()) out.push_back(to_json(m));
          send_json(res, out);
        }));

  s.get("/api/v1/metrics/series",
        json_handler([this](const http::Request& req, http::Response& res) {
          store::MetricSeriesQuery q;
          if (std::string e = get_entity(req.params, false); !e.empty()) q.entity = e;
          q.name = get_string(req.params, "name");
          q.workload = get_string(req.params, "workload");
          auto series = store_.metric_series(q);
          series.resize(std::min(series.size(), get_list_limit(req.params)));
          json out = json::array();
          for (const auto& m : series)
            out.push_back({{"entity", m.entity},
                           {"name", m.name},
                           {"label", m.label},
                           {"metric", m.metric},
                           {"workload", m.workload}});
          send_json(res, out);
        }));
}

}  // namespace loupe::server
