#include "alerts/signals.h"

#include <algorithm>

namespace loupe::alerts {
namespace {

// The label a request carries for `key`. A client-side record describes its
// callee through the remote_* fields.
std::string request_label(const store::StoredRequest& sr, const std::string& key) {
  const Record& r = sr.record;
  bool client = r.role == Role::Client;
  if (key == "service") return sr.service;
  if (key == "route") return r.route;
  if (key == "method") return r.method;
  if (key == "protocol") return std::string(to_string(r.protocol));
  if (key == "namespace") return client ? r.remote_namespace : r.namespace_;
  if (key == "workload") return client ? r.remote_workload : r.workload;
  if (key == "pod") return client ? r.remote_pod : r.pod;
  if (key == "node") return client ? "" : r.node;
  return "";
}

std::string event_label(const ClusterEvent& e, const std::string& key) {
  if (key == "namespace") return e.namespace_;
  if (key == "pod") return e.kind == "Pod" ? e.name : "";
  if (key == "node") return e.kind == "Node" ? e.name : "";
  if (key == "container") return e.container;
  return "";
}

// The label set of one item: its group_by labels and the rule's scope.
template <typename LabelOf>
Labels labels_of(const Rule& rule, LabelOf label_of) {
  Labels l = rule.scope;
  for (const auto& k : rule.group_by) l[k] = label_of(k);
  return l;
}

template <typename LabelOf>
bool in_scope(const Rule& rule, LabelOf label_of) {
  return std::all_of(rule.scope.begin(), rule.scope.end(),
                     [&](const auto& kv) { return label_of(kv.first) == kv.second; });
}

double quantile_ms(std::vector<uint64_t>& durations_ns, double q) {
  if (durations_ns.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(durations_ns.size() - 1) + 0.5);
  std::nth_element(durations_ns.begin(), durations_ns.begin() + i, durations_ns.end());
  return static_cast<double>(durations_ns[i]) / 1e6;
}

SignalValues read_requests(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  store::RequestQuery q;
  if (auto s = rule.scope.find("service"); s != rule.scope.end()) q.service = s->second;
  if (auto s = rule.scope.find("route"); s != rule.scope.end()) q.route = s->second;
  if (auto s = rule.scope.find("protocol"); s != rule.scope.end())
    q.protocol = protocol_from_string(s->second);
  q.range = range;
  q.limit = kMaxRequests;
  auto rows = store.requests(q);

  struct Acc {
    uint64_t requests = 0, errors = 0;
    std::vector<uint64_t> durations;
  };
  std::map<Labels, Acc> groups;
  for (const auto& sr : rows) {
    if (!sr.counted) continue;  // the other side of a call already counted
    auto label_of = [&](const std::string& k) { return request_label(sr, k); };
    if (!in_scope(rule, label_of)) continue;
    Acc& a = groups[labels_of(rule, label_of)];
    ++a.requests;
    a.errors += sr.record.error ? 1 : 0;
    if (rule.signal == Signal::Latency) a.durations.push_back(sr.record.duration_ns());
  }
  SignalValues out;
  out.truncated = rows.size() >= kMaxRequests;
  double window_s = static_cast<double>(range.to_ns - range.from_ns) / 1e9;
  for (auto& [labels, a] : groups) {
    GroupValue g{labels, 0, a.requests};
    if (rule.signal == Signal::ErrorRate)
      g.value = static_cast<double>(a.errors) / static_cast<double>(a.requests);
    else if (rule.signal == Signal::RequestRate)
      g.value = window_s > 0 ? static_cast<double>(a.requests) / window_s : 0;
    else
      g.value = quantile_ms(a.durations, rule.quantile);
    out.groups.push_back(std::move(g));
  }
  return out;
}

SignalValues read_events(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  store::EventQuery q;
  q.reason = rule.reason;
  if (auto s = rule.scope.find("namespace"); s != rule.scope.end()) q.namespace_ = s->second;
  q.range = range;
  q.limit = 10'000;
  std::map<Labels, double> counts;
  for (const auto& e : store.events(q)) {
    auto label_of = [&](const std::string& k) { return event_label(e, k); };
    if (!in_scope(rule, label_of)) continue;
    counts[labels_of(rule, label_of)] += static_cast<double>(std::max<int64_t>(e.count, 1));
  }
  SignalValues out;
  for (auto& [labels, n] : counts) out.groups.push_back({labels, n, 0});
  return out;
}

}  // namespace

SignalValues read_signal(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  switch (rule.signal) {
    case Signal::Latency:
    case Signal::ErrorRate:
    case Signal::RequestRate:
      return read_requests(store, rule, range);
    case Signal::Event:
      return read_events(store, rule, range);
    case Signal::Metric:
      return {.error = "resource metric '" + rule.metric +
                       "' is not stored by this server yet: metric rules evaluate once the "
                       "resource-metrics pipeline (/api/v1/metrics) stores them"};
    case Signal::LogCount:
      return {.error =
                  "log_count needs the log pipeline, which Loupe does not have yet; the "
                  "rule is accepted and will evaluate once logs are stored"};
  }
  return {};
}

}  // namespace loupe::alerts
