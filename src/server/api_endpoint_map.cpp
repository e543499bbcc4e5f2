#include "server/api_endpoint_map.h"

#include <algorithm>
#include <cmath>

#include "server/api_json.h"
#include "traces/endpoint_calls.h"

namespace loupe::server {
namespace {

constexpr size_t kDefaultSample = 50;
constexpr size_t kMaxSample = 200;

// The q-quantile of `ns` (nearest rank), in ms.
double quantile_ms(std::vector<uint64_t>& ns, double q) {
  if (ns.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ns.size())));
  size_t i = std::min(ns.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(i), ns.end());
  return static_cast<double>(ns[i]) / 1e6;
}

}  // namespace

nlohmann::json endpoint_map(store::Store& store, const Params& p, const store::TimeRange& range) {
  auto service = get_string(p, "service");
  auto route = get_string(p, "route");
  if (!service || service->empty()) throw ParamError("service", "route needs its service");
  if (!route || route->empty()) throw ParamError("route", "service needs a route");
  size_t sample = kDefaultSample;
  if (auto v = get_string(p, "sample")) {
    sample = std::strtoul(v->c_str(), nullptr, 10);
    if (sample < 1 || sample > kMaxSample)
      throw ParamError("sample", "sample must be 1.." + std::to_string(kMaxSample));
  }

  store::RequestQuery q;
  q.service = service;
  q.route = route;
  q.role = Role::Server;
  q.range = range;
  q.limit = sample;
  traces::TraceAssembler assembler(
      [&store](const store::RequestQuery& rq) { return store.requests(rq); });
  traces::EndpointCalls calls = traces::endpoint_calls(assembler, store.requests(q), range);

  // Node kinds as the whole map names them; the endpoint's request rate
  // scales the sampled calls per request into a rate.
  std::map<std::string, std::string> kinds;
  for (const store::MapEdge& e : store.map(range)) {
    kinds.emplace(e.caller, e.caller_kind);
    kinds.emplace(e.callee, e.callee_kind);
  }
  double endpoint_rate = 0;
  for (const store::EndpointSummary& e : store.endpoints(service, range))
    if (e.route == *route) endpoint_rate += e.red.rate_per_s;

  nlohmann::json edges = nlohmann::json::array();
  for (traces::CallEdge& c : calls.edges) {
    store::MapEdge e;
    e.caller = c.caller;
    e.callee = c.callee;
    auto kind = [&kinds](const std::string& name) {
      auto it = kinds.find(name);
      return it != kinds.end() ? it->second : std::string("process");
    };
    e.caller_kind = kind(c.caller);
    e.callee_kind = kind(c.callee);
    e.protocols = c.protocols;
    const double per_request =
        calls.sampled ? static_cast<double>(c.calls) / static_cast<double>(calls.sampled) : 0;
    e.red.requests = c.calls;
    e.red.errors = c.errors;
    e.red.error_rate = c.calls ? static_cast<double>(c.errors) / static_cast<double>(c.calls) : 0;
    e.red.rate_per_s = per_request * endpoint_rate;
    e.red.p50_ms = quantile_ms(c.durations_ns, 0.50);
    e.red.p95_ms = quantile_ms(c.durations_ns, 0.95);
    e.red.p99_ms = quantile_ms(c.durations_ns, 0.99);
    nlohmann::json j = to_json(e);
    j["calls_per_request"] = per_request;
    edges.push_back(std::move(j));
  }
  return {{"edges", std::move(edges)},
          {"endpoint",
           {{"service", *service}, {"route", *route}, {"sampled_requests", calls.sampled}}}};
}

}  // namespace loupe::server
