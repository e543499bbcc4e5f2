#include "pipeline/resolver.h"

#include <string>
#include <string_view>
#include <utility>

#include "core/burst_yield.h"
#include "core/same_text.h"

namespace loupe::pipeline {

namespace {

// Whose services a record counts against for the services-per-host cap:
// its node, else the IP of the side Loupe observed.
std::string_view observing_host(const Record& r) {
  if (!r.node().empty()) return r.node();
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
  answers_.forget();
}

store::ResolvedBatch Resolver::resolve(const store::BatchRecords& records) {
  store::ResolvedBatch out;
  resolve(records, out);
  return out;
}

namespace {

// A service resolved for the first time (or folded into "{other}", which
// is registered with every record: the store keeps the first).
void register_service(const Record& r, const store::ServiceIdentity& id,
                      store::ResolvedBatch& out) {
  auto local = store::split_host_port(r.role == Role::Server ? r.local_addr : r.remote_addr);
  out.new_services.push_back({id.name, id.kind, id.port.value_or(0),
                              local && id.kind != "external" ? local->first : std::string()});
}

}  // namespace

ConnectionAnswer& Resolver::answer(const Record& r, store::ResolvedBatch& out) {
  bool is_new = false;
  store::ServiceIdentity id = services_.resolve(r, &is_new);
  // A server learnt (its port, its IP as local) can change how other
  // connections' records are named.
  if (is_new) answers_.forget();
  bool folded = false;
  if (!services_per_host_.admit(observing_host(r), id.name)) {
    id.name = id.kind == "external" ? "external:" + std::string(store::kOtherName)
                                    : std::string(store::kOtherName);
    folded = is_new = true;
  }
  if (is_new) register_service(r, id, out);
  const store::ServiceIdentity& service = shared(std::move(id), out);
  if (r.role == Role::Server) learn_server(r, service);
  ConnectionAnswer& a = answers_.add(r);
  a.connection = ++connections_;  // one per answer of the batch
  a.service = &service;
  a.folded = folded;
  a.caller = &shared(callers_.resolve(r, service, services_, &a.caller_pid), out);
  if (a.caller_pid) a.caller_by_service = callers_.service_of(a.caller_pid) != nullptr;
  // What a workload served: its server side, or the client side when
  // that is the only one seen (then the client record is counted).
  a.workload_served = service.kind == "workload" &&
                      (r.role == Role::Server || (r.role == Role::Client && service.counted));
  return a;
}

const store::ServiceIdentity& Resolver::shared(store::ServiceIdentity&& id,
                                               store::ResolvedBatch& out) {
  identity_key_.assign(id.name).push_back('\0');
  identity_key_.append(id.kind).push_back('\0');
  identity_key_.append(id.port ? std::to_string(*id.port) : "-").push_back(id.counted ? '1' : '0');
  auto [it, added] = batch_services_.try_emplace(identity_key_, nullptr);
  if (added) it->second = &out.services.emplace_back(std::move(id));
  return *it->second;
}

const store::CallerIdentity& Resolver::shared(store::CallerIdentity&& id,
                                              store::ResolvedBatch& out) {
  identity_key_.assign(id.name).push_back('\0');
  identity_key_.append(id.kind).push_back('\0');
  identity_key_.append(id.stable_name).push_back(id.counted ? '1' : '0');
  auto [it, added] = batch_callers_.try_emplace(identity_key_, nullptr);
  if (added) it->second = &out.callers.emplace_back(std::move(id));
  return *it->second;
}

void Resolver::learn_server(const Record& r, const store::ServiceIdentity& service) {
  if (r.pid == learnt_pid_ && &service == learnt_service_) return;
  callers_.learn(r, service);
  learnt_pid_ = r.pid;
  learnt_service_ = &service;
}

void Resolver::learn_client(const Record& r) {
  if (r.role != Role::Client) return;
  // What learn_client reads: the local address, pid, comm and Kubernetes
  // names. A connection's records all say the same.
  auto same = [&r](const Record* seen) {
    return seen && seen->pid == r.pid && same_text(seen->local_addr, r.local_addr) &&
           same_text(seen->comm, r.comm) &&
           (seen->local_identity == r.local_identity ||
            (same_text(seen->namespace_(), r.namespace_()) &&
             same_text(seen->workload(), r.workload())));
  };
  uint64_t hash = mix_word(text_tail(r.local_addr) ^ r.pid);
  if (learnt_.find(hash, same)) return;
  if (callers_.learn_client(r)) learnt_ = {};
  learnt_.replace(hash) = &r;
}

bool Resolver::still_holds(const ConnectionAnswer& a) const {
  if (!a.caller_pid) return true;
  const std::string* service = callers_.service_of(a.caller_pid);
  return a.caller_by_service ? service && *service == a.caller->name : !service;
}

void Resolver::resolve(const store::BatchRecords& records, store::ResolvedBatch& out) {
  out.records = records;
  out.new_services.clear();
  out.services.clear();  // the last batch's rows, which pointed at them, are spent
  out.callers.clear();
  batch_services_.clear();
  batch_callers_.clear();
  connections_ = 0;
  learnt_pid_ = 0;  // its service may be gone, and another at its address
  learnt_service_ = nullptr;
  // Rows are assigned in place: a kept batch's rows are memory already
  // faulted in; their names are pointers to their connection's.
  out.rows.resize(records.size());
  answers_.forget();  // they point into the last batch's records
  learnt_ = {};       // likewise
  label_sets_.forget();
  // One pass reads every record: clients are learnt, and each record's
  // place goes on its side's list, so the two passes below read only
  // their side's records. Reading every record's role again in each of
  // them was two more cache misses a record: a round's records (~4,000
  // of 440 bytes) are more than the L2 cache holds.
  servers_.clear();
  clients_.clear();
  uint32_t index = 0;
  for (std::span<const Record> run : records.runs())
    for (const Record& r : run) {
      if (r.role == Role::Server) {
        servers_.push_back({&r, index});
      } else {
        learn_client(r);
        clients_.push_back({&r, index});
      }
      ++index;
    }
  size_t next_row = 0;
  // Server records first (see the header).
  auto resolve_one = [&](uint32_t i, const Record& r) {
    ConnectionAnswer* a = answers_.find(r);
    if (a) {
      if (r.role == Role::Server) learn_server(r, *a->service);  // before naming, as from scratch
      if (!still_holds(*a))
        a = nullptr;
      else if (a->folded)
        register_service(r, *a->service, out);
    }
    if (!a) a = &answer(r, out);
    if (!a->route || !same_text(*a->route, r.route)) {
      a->route = &r.route;
      a->route_admitted = routes_per_service_.admit(a->service->name, r.route);
      a->labels = 0;
    }
    store::ResolvedRecord& row = out.rows[next_row++];
    row.index = i;
    row.service = a->service;
    row.route = a->route_admitted ? std::string_view(r.route) : store::kOtherName;
    row.caller = a->caller;
    row.connection = a->connection;
    row.workload_served = a->workload_served;
    row.pod = !a->workload_served      ? std::string_view()
              : r.role == Role::Server ? std::string_view(r.pod())
                                       : std::string_view(r.remote_pod());
    // The connection's last label set, while its labels stay the same.
    if (!a->labels || !same_record_labels(*a->labelled, r)) {
      a->labels = label_sets_.id(row, r);
      a->labelled = &r;
    }
    row.labels = a->labels;
  };
  for (const auto& [r, i] : servers_) {
    resolve_one(i, *r);
    burst_point();
  }
  for (const auto& [r, i] : clients_) {
    resolve_one(i, *r);
    burst_point();
  }
  out.label_sets = label_sets_.count();
  // A burst's lists (16 bytes a record, up to 50k records) are not kept
  // once rounds use less than half of them, as RecordPipeline's rows.
  for (std::vector<Place>* places : {&servers_, &clients_})
    if (places->capacity() > kKeptPlaces && places->size() * 2 < places->capacity()) *places = {};
}

}  // namespace loupe::pipeline
