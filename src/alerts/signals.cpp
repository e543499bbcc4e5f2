#include "alerts/signals.h"

#include <algorithm>
#include <optional>

#include "core/metric.h"

namespace loupe::alerts {
namespace {

constexpr uint64_t kMinuteNs = 60'000'000'000ULL;

// The label a request carries for `key`. A client-side record describes its
// callee through the remote_* fields.
std::string request_label(const store::StoredRequest& sr, const std::string& key) {
  const Record& r = sr.record;
  bool client = r.role == Role::Client;
  if (key == "service") return sr.service;
  if (key == "route") return r.route;
  if (key == "method") return r.method;
  if (key == "protocol") return std::string(to_string(r.protocol));
  if (key == "namespace") return client ? r.remote_namespace() : r.namespace_();
  if (key == "workload") return client ? r.remote_workload() : r.workload();
  if (key == "pod") return client ? r.remote_pod() : r.pod();
  if (key == "node") return client ? "" : r.node();
  return "";
}

// Workload labels are "Kind/name", as on requests; events and metric series
// name a workload "namespace/Kind/name".
std::string without_namespace(const std::string& workload) {
  if (std::count(workload.begin(), workload.end(), '/') < 2) return workload;
  return workload.substr(workload.find('/') + 1);
}

std::string event_label(const ClusterEvent& e, const std::string& key) {
  if (key == "namespace") return e.namespace_;
  if (key == "pod") return e.kind == "Pod" ? e.name : "";
  if (key == "container") return e.container;
  // Kernel OOM kills carry the workload and node in their details.
  std::string detail = e.details.is_object() ? e.details.value(key, "") : "";
  if (key == "node") return e.kind == "Node" ? e.name : detail;
  if (key == "workload") return without_namespace(detail);
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

struct RequestAcc {
  uint64_t requests = 0, errors = 0;
  std::vector<uint64_t> durations;  // raw records
  store::Sketch sketch;             // rollups
};

GroupValue request_value(const Rule& rule, const Labels& labels, RequestAcc& a, double window_s) {
  GroupValue g{.labels = labels, .requests = a.requests};
  if (rule.signal == Signal::ErrorRate)
    g.value = static_cast<double>(a.errors) / static_cast<double>(a.requests);
  else if (rule.signal == Signal::RequestRate)
    g.value = window_s > 0 ? static_cast<double>(a.requests) / window_s : 0;
  else if (!a.sketch.empty())
    g.value = a.sketch.quantile(rule.quantile) / 1e6;
  else
    g.value = quantile_ms(a.durations, rule.quantile);
  return g;
}

SignalValues read_raw_requests(store::Store& store, const Rule& rule,
                               const store::TimeRange& range) {
  store::RequestQuery q;
  if (auto s = rule.scope.find("service"); s != rule.scope.end()) q.service = s->second;
  if (auto s = rule.scope.find("route"); s != rule.scope.end()) q.route = s->second;
  if (auto s = rule.scope.find("protocol"); s != rule.scope.end())
    q.protocol = protocol_from_string(s->second);
  q.range = range;
  q.limit = kMaxRequests;
  auto rows = store.requests(q);

  std::map<Labels, RequestAcc> groups;
  for (const auto& sr : rows) {
    if (!sr.counted) continue;  // the other side of a call already counted
    auto label_of = [&](const std::string& k) { return request_label(sr, k); };
    if (!in_scope(rule, label_of)) continue;
    RequestAcc& a = groups[labels_of(rule, label_of)];
    ++a.requests;
    a.errors += sr.record.error ? 1 : 0;
    if (rule.signal == Signal::Latency) a.durations.push_back(sr.record.duration_ns());
  }
  SignalValues out;
  out.truncated = rows.size() >= kMaxRequests;
  double window_s = static_cast<double>(range.to_ns - range.from_ns) / 1e9;
  for (auto& [labels, a] : groups) out.groups.push_back(request_value(rule, labels, a, window_s));
  return out;
}

// The labels the per-minute rollups keep (store/rollup.h).
bool rollup_labels_only(const Rule& rule) {
  auto kept = [](const std::string& k) {
    return k == "service" || k == "route" || k == "method" || k == "protocol";
  };
  return std::all_of(rule.scope.begin(), rule.scope.end(),
                     [&](const auto& kv) { return kept(kv.first); }) &&
         std::all_of(rule.group_by.begin(), rule.group_by.end(), kept);
}

// The window's minutes from the per-minute rollups: every request counted,
// latency quantiles from the merged sketches (1% relative error), however
// busy the service. The minutes read are those the window overlaps, so at
// least the window; rates divide by the seconds they cover (the current
// minute only so far).
SignalValues read_request_rollups(store::Store& store, const Rule& rule,
                                  const store::TimeRange& range, uint64_t now_ns) {
  uint64_t from = range.from_ns / kMinuteNs * kMinuteNs;
  uint64_t end = (range.to_ns - 1) / kMinuteNs * kMinuteNs + kMinuteNs;
  uint64_t covered = std::min(end, std::max(now_ns, range.to_ns)) - from;
  std::optional<std::string> service;
  if (auto s = rule.scope.find("service"); s != rule.scope.end()) service = s->second;
  std::map<Labels, RequestAcc> groups;
  for (const auto& e : store.endpoints(service, {from, end})) {
    auto label_of = [&](const std::string& k) -> std::string {
      if (k == "service") return e.service;
      if (k == "route") return e.route;
      if (k == "method") return e.method;
      if (k == "protocol") return std::string(to_string(e.protocol));
      return "";
    };
    if (!in_scope(rule, label_of) || e.red.requests == 0) continue;
    RequestAcc& a = groups[labels_of(rule, label_of)];
    a.requests += e.red.requests;
    a.errors += e.red.errors;
    a.sketch.merge(e.latency);
  }
  SignalValues out;
  for (auto& [labels, a] : groups)
    out.groups.push_back(request_value(rule, labels, a, static_cast<double>(covered) / 1e9));
  return out;
}

SignalValues read_requests(store::Store& store, const Rule& rule, const store::TimeRange& range,
                           uint64_t now_ns) {
  uint64_t window = range.to_ns - range.from_ns;
  if (window % kMinuteNs == 0 && window > 0 && rollup_labels_only(rule))
    return read_request_rollups(store, rule, range, now_ns);
  return read_raw_requests(store, rule, range);
}

SignalValues read_events(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  // Events of `reason`, and with cleared_by those that end its state too;
  // per label set: the count, and the times of the latest of each.
  struct Acc {
    double count = 0;
    uint64_t latest = 0, cleared = 0;
  };
  std::map<Labels, Acc> groups;
  auto read = [&](const std::string& reason, bool clears) {
    store::EventQuery q;
    q.reason = reason;
    if (auto s = rule.scope.find("namespace"); s != rule.scope.end()) q.namespace_ = s->second;
    q.range = range;
    q.limit = 10'000;
    for (const auto& e : store.events(q)) {
      auto label_of = [&](const std::string& k) { return event_label(e, k); };
      if (!in_scope(rule, label_of)) continue;
      Acc& a = groups[labels_of(rule, label_of)];
      if (clears) {
        a.cleared = std::max(a.cleared, e.time_ns);
      } else {
        a.count += static_cast<double>(std::max<int64_t>(e.count, 1));
        a.latest = std::max(a.latest, e.time_ns);
      }
    }
  };
  read(rule.reason, false);
  for (const auto& r : rule.cleared_by) read(r, true);
  SignalValues out;
  for (auto& [labels, a] : groups) {
    if (rule.cleared_by.empty()) {
      if (a.count > 0) out.groups.push_back({.labels = labels, .value = a.count});
    } else if (a.latest > a.cleared) {  // still in the state: for how long
      double seconds = static_cast<double>(range.to_ns - std::min(range.to_ns, a.latest)) / 1e9;
      out.groups.push_back({.labels = labels, .value = seconds});
    }
  }
  return out;
}

// A metric series' labels from its entity and name (docs/metrics.md).
std::string metric_label(const store::MetricSeriesInfo& s, const std::string& key) {
  auto parts = [&](size_t i) {
    size_t start = 0;
    for (size_t k = 0; k < i; ++k) {
      start = s.name.find('/', start);
      if (start == std::string::npos) return std::string();
      ++start;
    }
    size_t end = s.name.find('/', start);
    return s.name.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  bool k8s = (s.entity == "pod" || s.entity == "container") && !s.name.starts_with("/");
  if (key == "node") return s.entity == "node" ? s.name : "";
  if (key == "namespace") return k8s ? parts(0) : "";
  if (key == "pod") return k8s ? parts(1) : "";
  if (key == "container") return s.entity == "container" ? (k8s ? parts(2) : s.name) : "";
  if (key == "workload") return without_namespace(s.workload);
  return "";
}

// Metrics a rule may name that are ratios of two catalog metrics.
struct DerivedMetric {
  std::string_view name, numerator, denominator;
  bool one_minus;  // 1 - numerator / denominator
};
constexpr DerivedMetric kDerived[] = {
    {"node_memory_used_ratio", "node_memory_available_bytes", "node_memory_total_bytes", true},
    {"node_cpu_usage_ratio", "node_cpu_usage_cores", "node_cpu_count", false},
    {"container_memory_limit_ratio", "memory_working_set_bytes", "memory_limit_bytes", false},
};

// One series' value over the window: the sum of a counter, else the mean.
std::optional<double> series_value(store::Store& store, const store::MetricSeriesInfo& s,
                                   const std::string& metric, const store::TimeRange& range) {
  const MetricInfo* info = find_metric(metric);
  store::MetricQuery q;
  q.entity = s.entity;
  q.name = s.name;
  q.metric = metric;
  q.range = range;
  uint64_t window_s = std::max<uint64_t>(1, (range.to_ns - range.from_ns) / 1'000'000'000ULL);
  q.step_s = window_s % 60 == 0 ? 60 : window_s;
  auto points = store.metrics(q);
  if (points.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& p : points) sum += p.value;
  if (info && info->kind == MetricKind::Counter) return sum;
  return sum / static_cast<double>(points.size());
}

SignalValues read_metrics(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  const DerivedMetric* derived = nullptr;
  for (const auto& d : kDerived)
    if (d.name == rule.metric) derived = &d;
  std::string metric = derived ? std::string(derived->numerator) : rule.metric;
  if (!derived && !find_metric(rule.metric))
    return {.error =
                "unknown metric '" + rule.metric +
                "': not in the catalog (docs/metrics.md) nor a derived ratio (docs/alerts.md)"};
  std::map<Labels, double> worst;  // a group's value: its worst series
  size_t series = 0;
  for (const auto& s : store.metric_series({})) {
    if (s.metric != metric || !s.label.empty()) continue;
    auto label_of = [&](const std::string& k) { return metric_label(s, k); };
    if (!in_scope(rule, label_of) || ++series > kMaxSeries) continue;
    auto v = series_value(store, s, metric, range);
    if (!v) continue;
    double value = *v;
    if (derived) {
      auto d = series_value(store, s, std::string(derived->denominator), range);
      if (!d || *d <= 0) continue;  // no limit set, or no total yet
      value = derived->one_minus ? 1 - value / *d : value / *d;
    }
    Labels l = labels_of(rule, label_of);
    auto [it, fresh] = worst.emplace(l, value);
    if (!fresh) it->second = std::max(it->second, value);
  }
  SignalValues out;
  out.truncated = series > kMaxSeries;
  for (auto& [labels, v] : worst) out.groups.push_back({.labels = labels, .value = v});
  return out;
}

// A log source's label for `key` (log_scope_keys()).
std::string log_label(const store::LogSourceCount& c, const std::string& key) {
  if (key == "namespace") return c.namespace_;
  if (key == "workload") return without_namespace(c.workload);
  if (key == "pod") return c.pod;
  if (key == "container") return c.container;
  if (key == "node") return c.node;
  return "";
}

// Entries matching the rule's pattern and levels in the window, per label
// set. A pattern holding "<*>" names the miner's patterns of that text;
// else its words are searched as /api/v1/logs?q= does.
SignalValues read_logs(store::Store& store, const Rule& rule, const store::TimeRange& range) {
  store::LogQuery q;
  q.range = range;
  q.levels = rule.levels;
  for (const auto& [key, value] : rule.scope) {
    if (key == "namespace") q.namespace_ = value;
    if (key == "pod") q.pod = value;
    if (key == "container") q.container = value;
    if (key == "node") q.node = value;
  }
  std::vector<uint32_t> patterns{0};  // 0: no pattern filter
  if (rule.pattern.find("<*>") != std::string::npos) {
    patterns.clear();
    for (const auto& p : store.all_log_patterns())
      if (p.text == rule.pattern) patterns.push_back(p.id);
  } else {
    q.text = rule.pattern;
  }
  std::map<Labels, uint64_t> groups;
  for (uint32_t id : patterns) {
    q.pattern = id ? std::optional<uint32_t>(id) : std::nullopt;
    for (const auto& c : store.count_logs(q)) {
      auto label_of = [&](const std::string& k) { return log_label(c, k); };
      if (in_scope(rule, label_of)) groups[labels_of(rule, label_of)] += c.count;
    }
  }
  SignalValues out;
  for (auto& [labels, n] : groups)
    out.groups.push_back({.labels = labels, .value = static_cast<double>(n)});
  return out;
}

}  // namespace

SignalValues read_signal(store::Store& store, const Rule& rule, const store::TimeRange& range,
                         uint64_t now_ns) {
  switch (rule.signal) {
    case Signal::Latency:
    case Signal::ErrorRate:
    case Signal::RequestRate:
      return read_requests(store, rule, range, now_ns);
    case Signal::Event:
      return read_events(store, rule, range);
    case Signal::Metric:
      return read_metrics(store, rule, range);
    case Signal::LogCount:
      return read_logs(store, rule, range);
  }
  return {};
}

}  // namespace loupe::alerts
