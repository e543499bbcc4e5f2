#include "store/rollup_answers.h"

#include <algorithm>

#include "store/query_window.h"

namespace loupe::store {

void ServicesFold::registered(const std::string& name, const std::string& kind, uint16_t port) {
  ServiceSummary& s = services_[name];
  s.kind = kind;
  if (port) s.ports.push_back(port);
}

namespace {

void add_cell(RedAccumulator& red, const CellRead& c) {
  if (c.hour_minutes == 0) {
    red.add(c.count, c.errors, c.sketch, c.minute_s);
    return;
  }
  red.add(c.count, c.errors, c.sketch);
  red.add_active_minutes(c.minute_s, c.hour_minutes);
}

}  // namespace

void ServicesFold::add(const std::string& service, const CellRead& c) {
  add_cell(red_[service], c);
  if (query_.series) series_fold(service).add(c);
}

LatencyFold& ServicesFold::series_fold(const std::string& service) {
  auto it = series_.find(service);
  if (it != series_.end()) return it->second;
  LatencyQuery q{.service = service,
                 .quantile = query_.series->quantile,
                 .step_s = query_.series->step_s,
                 .range = query_.range};
  return series_.emplace(service, LatencyFold(q)).first->second;
}

std::vector<ServiceSummary> ServicesFold::finish() {
  // Traffic of a service never registered (records of unknown role, which
  // the resolver names but does not learn) still shows.
  for (const auto& [name, acc] : red_)
    if (auto [it, added] = services_.try_emplace(name); added) it->second.kind = "process";
  double window = window_seconds(query_.range);
  std::vector<ServiceSummary> result;
  for (auto& [name, s] : services_) {
    s.name = name;
    std::sort(s.ports.begin(), s.ports.end());
    if (auto it = red_.find(name); it != red_.end()) s.red = it->second.finish(window);
    // A service without traffic in the window gets its empty buckets too.
    if (query_.series) s.series = series_fold(name).finish();
    result.push_back(std::move(s));
  }
  return result;
}

void EndpointsFold::add(const std::string& service, const std::string& method,
                        const std::string& route, Protocol protocol, const CellRead& c) {
  add_cell(red_[{service, method, route, protocol}], c);
}

std::vector<EndpointSummary> EndpointsFold::finish(const TimeRange& range) const {
  double window = window_seconds(range);
  std::vector<EndpointSummary> result;
  for (const auto& [key, acc] : red_) {
    EndpointSummary e;
    std::tie(e.service, e.method, e.route, e.protocol) = key;
    e.red = acc.finish(window);
    e.latency = acc.sketch();
    result.push_back(std::move(e));
  }
  return result;
}

LatencyFold::LatencyFold(const LatencyQuery& q)
    : quantile_(q.quantile), step_(static_cast<int64_t>(q.step_s)) {
  auto [from_m, to_m] = minute_bounds(q.range);
  if (step_ <= 0) return;
  for (int64_t t = from_m / step_ * step_; t < to_m; t += step_) buckets_[t];
}

void LatencyFold::add(const CellRead& c) {
  if (step_ <= 0) return;
  Bucket& b = buckets_[c.minute_s / step_ * step_];
  b.errors += c.errors;
  b.sketch.merge_serialized(c.sketch);
}

std::vector<LatencyPoint> LatencyFold::finish() const {
  std::vector<LatencyPoint> out;
  out.reserve(buckets_.size());
  for (const auto& [t, b] : buckets_) {
    uint64_t n = b.sketch.count();
    out.push_back(
        {static_cast<uint64_t>(t), n ? b.sketch.quantile(quantile_) / 1e6 : 0, n, b.errors});
  }
  return out;
}

void PairFold::add(const std::string& a, const std::string& b, const std::string& a_kind,
                   const std::string& b_kind, Protocol protocol, const CellRead& c) {
  std::string key_b = group_by_a_ ? std::string() : b;
  Row& row = rows_[{a, key_b}];
  if (row.a.empty()) {
    row.a = a;
    row.b = key_b;
    row.a_kind = a_kind;
    if (!group_by_a_) row.b_kind = b_kind;
  }
  row.protocols.insert(protocol);
  row.red.add(c.count, c.errors, c.sketch);
}

std::vector<MapEdge> PairFold::edges(const TimeRange& range) const {
  double window = window_seconds(range);
  std::vector<MapEdge> out;
  for (const auto& [key, row] : rows_)
    out.push_back({row.a, row.a_kind, row.b, row.b_kind,
                   std::vector<Protocol>(row.protocols.begin(), row.protocols.end()),
                   row.red.finish(window)});
  return out;
}

std::vector<WorkloadSummary> PairFold::workloads(const TimeRange& range) const {
  double window = window_seconds(range);
  std::vector<WorkloadSummary> out;
  for (const auto& [key, row] : rows_) {
    WorkloadSummary w;
    w.name = row.a;
    std::tie(w.namespace_, w.workload) = split_workload(row.a);
    w.red = row.red.finish(window);
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<PodSummary> PairFold::pods(const TimeRange& range) const {
  double window = window_seconds(range);
  std::vector<PodSummary> out;
  for (const auto& [key, row] : rows_) {
    if (row.b.empty()) continue;  // served by a workload's pod Loupe could not name
    PodSummary p;
    p.namespace_ = split_workload(row.a).first;
    p.pod = row.b;
    p.workload = row.a;
    p.red = row.red.finish(window);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace loupe::store
