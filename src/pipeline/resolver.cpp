#include "pipeline/resolver.h"

#include <string>
#include <string_view>
#include <utility>

namespace loupe::pipeline {

namespace {

// Whose services a record counts against for the services-per-host cap:
// its node, else the IP of the side Loupe observed.
std::string_view observing_host(const Record& r) {
  if (!r.node.empty()) return r.node;
  std::string_view addr = r.local_addr;
  return addr.substr(0, addr.rfind(':'));
}

}  // namespace

Resolver::Resolver(ResolveOptions options)
    : options_(options),
      routes_per_service_(options.max_routes_per_service),
      services_per_host_(options.max_services_per_host) {
  services_.mark_self(options_.self_port);
}

void Resolver::seed(const store::ResolverSeed& seed) {
  services_ = store::ServiceResolver();
  services_.mark_self(options_.self_port);
  for (const auto& s : seed.services)
    services_.learn_server(s.name, s.kind, s.port ? std::optional<uint16_t>(s.port) : std::nullopt,
                           s.ip);
  routes_per_service_.clear();
  for (const auto& [service, route] : seed.routes) routes_per_service_.admit(service, route);
  services_per_host_.clear();
}

store::ResolvedBatch Resolver::resolve(const store::BatchRecords& records) {
  store::ResolvedBatch out;
  resolve(records, out);
  return out;
}

void Resolver::resolve(const store::BatchRecords& records, store::ResolvedBatch& out) {
  out.records = records;
  out.rows.clear();
  out.new_services.clear();
  out.rows.reserve(records.size());
  for (std::span<const Record> run : records.runs())
    for (const Record& r : run) callers_.learn_client(r);
  // Server records first (see the header).
  auto resolve_one = [&](uint32_t i, const Record& r) {
    bool is_new = false;
    store::ServiceIdentity id = services_.resolve(r, &is_new);
    if (!services_per_host_.admit(observing_host(r), id.name)) {
      id.name = id.kind == "external" ? "external:" + std::string(store::kOtherName)
                                      : std::string(store::kOtherName);
      is_new = true;  // registered once: the store keeps the first
    }
    std::string_view route =
        routes_per_service_.admit(id.name, r.route) ? std::string_view(r.route) : store::kOtherName;
    if (is_new) {
      auto local = store::split_host_port(r.role == Role::Server ? r.local_addr : r.remote_addr);
      out.new_services.push_back({id.name, id.kind, id.port.value_or(0),
                                  local && id.kind != "external" ? local->first : std::string()});
    }
    if (r.role == Role::Server) callers_.learn(r, id);
    store::CallerIdentity caller = callers_.resolve(r, id, services_);
    // What a workload served: its server side, or the client side when
    // that is the only one seen (then the client record is counted).
    bool workload_served =
        id.kind == "workload" && (r.role == Role::Server || (r.role == Role::Client && id.counted));
    std::string_view pod =
        r.role == Role::Server ? std::string_view(r.pod) : std::string_view(r.remote_pod);
    out.rows.push_back({i, std::move(id), route, std::move(caller), workload_served,
                        workload_served ? pod : std::string_view()});
  };
  // Run by run, counting the batch's index along: no lookup per record.
  auto each = [&](bool servers) {
    uint32_t i = 0;
    for (std::span<const Record> run : records.runs())
      for (const Record& r : run) {
        if ((r.role == Role::Server) == servers) resolve_one(i, r);
        ++i;
      }
  };
  each(true);
  each(false);
}

}  // namespace loupe::pipeline
