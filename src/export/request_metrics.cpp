#include "export/request_metrics.h"

#include <algorithm>

#include "core/burst_yield.h"
#include "core/same_text.h"
#include "export/latency_buckets.h"
#include "export/semantic_conventions.h"
#include "store/cardinality_cap.h"
#include "store/record_cursor.h"

namespace loupe::exporting {
namespace {

struct FamilyInfo {
  std::string_view name;
  std::string_view help;
  std::array<std::string_view, 7> labels;      // empty names unused
  size_t identity_labels;                      // leading labels kept when folding
  std::string_view otel_name;                  // the same family in OTLP
  std::array<std::string_view, 7> attributes;  // the labels' OpenTelemetry names
};

// Indexed by RequestMetrics::Family.
constexpr std::array<FamilyInfo, 5> kFamilyInfo = {{
    {"http_server_request_duration_seconds",
     "Duration of HTTP server requests, first byte of the request read to last byte of the "
     "response written.",
     {"service_name", "k8s_namespace_name", "k8s_deployment_name", "k8s_statefulset_name",
      "http_request_method", "http_route", "http_response_status_class"},
     4,
     "http.server.request.duration",
     {"service.name", "k8s.namespace.name", "k8s.deployment.name", "k8s.statefulset.name",
      "http.request.method", "http.route", "http.response.status_class"}},
    {"http_client_request_duration_seconds",
     "Duration of HTTP client requests, first byte of the request written to last byte of the "
     "response read.",
     {"service_name", "server_address", "http_request_method", "http_route",
      "http_response_status_class", "", ""},
     2,
     "http.client.request.duration",
     {"service.name", "server.address", "http.request.method", "http.route",
      "http.response.status_class", "", ""}},
    {"db_client_operation_duration_seconds",
     "Duration of database and cache operations (PostgreSQL, MySQL, Redis), once per exchange.",
     {"service_name", "server_address", "db_system_name", "db_operation_name", "error_type", "",
      ""},
     2,
     "db.client.operation.duration",
     {"service.name", "server.address", "db.system.name", "db.operation.name", "error.type", "",
      ""}},
    {"dns_lookup_duration_seconds",
     "Duration of DNS lookups, once per exchange.",
     {"service_name", "server_address", "error_type", "", "", "", ""},
     2,
     "dns.lookup.duration",
     {"service.name", "server.address", "error.type", "", "", "", ""}},
    {"loupe_requests",
     "Requests per service as Loupe counts them (/api/v1/services).",
     {"service_name", "protocol", "", "", "", "", ""},
     2,
     "loupe.requests",
     {"service.name", "loupe.protocol", "", "", "", "", ""}},
}};

std::string_view status_class(int status) {
  static constexpr std::array<std::string_view, 6> kClasses = {"",    "1xx", "2xx",
                                                               "3xx", "4xx", "5xx"};
  int c = status / 100;
  return c >= 1 && c <= 5 ? kClasses[c] : std::string_view();
}

// A workload service "namespace/Kind/name" as the Kubernetes labels of the
// server histogram: namespace, and the name under the label of its kind
// (Deployments and StatefulSets, what autoscalers scale).
struct WorkloadLabels {
  std::string_view namespace_, deployment, statefulset;
};
WorkloadLabels workload_labels(const store::ServiceIdentity& service) {
  if (service.kind != "workload") return {};
  std::string_view name = service.name;
  auto a = name.find('/'), b = name.find('/', a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos) return {};
  std::string_view kind = name.substr(a + 1, b - a - 1), object = name.substr(b + 1);
  return {name.substr(0, a), kind == "Deployment" ? object : std::string_view(),
          kind == "StatefulSet" ? object : std::string_view()};
}

std::string_view error_type(const Record& r) {
  if (!r.error) return "";
  return r.error_code.empty() ? std::string_view("_OTHER") : std::string_view(r.error_code);
}

}  // namespace

RequestMetrics::Series& RequestMetrics::series_for(Family family, const Values& values) {
  LastSeries& last = last_[family];
  if (last.series && std::equal(values.begin(), values.end(), last.values.begin(), same_text))
    return *last.series;
  auto& map = families_[family];
  auto remember = [&](Series& s) -> Series& {
    for (size_t i = 0; i < kMaxLabels; ++i) last.values[i] = values[i];
    last.series = &s;
    return s;
  };
  auto find = [&](const Values& v) {
    key_.clear();
    for (const auto& s : v) {
      key_ += s;
      key_ += '\x1f';
    }
    return map.find(std::string_view(key_));
  };
  auto admit = [&](const Values& v) -> Series& {
    auto [it, created] = map.try_emplace(key_);
    if (created) {
      ++series_;
      for (size_t i = 0; i < kMaxLabels; ++i) it->second.values[i] = v[i];
      if (family != Red) it->second.buckets.assign(latency_bucket_bounds().size() + 1, 0);
    }
    return it->second;
  };
  if (auto it = find(values); it != map.end()) return remember(it->second);
  if (series_ < options_.max_series) return remember(admit(values));
  ++folded_;
  // Past the cap: keep who served (and who called), fold the rest.
  Values partial = values;
  for (size_t i = kFamilyInfo[family].identity_labels; i < kMaxLabels; ++i)
    if (!partial[i].empty()) partial[i] = store::kOtherName;
  if (auto it = find(partial); it != map.end()) return it->second;
  if (series_ < options_.max_series) return admit(partial);
  Values all;
  for (size_t i = 0; i < kMaxLabels; ++i)
    if (!kFamilyInfo[family].labels[i].empty()) all[i] = store::kOtherName;
  if (auto it = find(all); it != map.end()) return it->second;
  return admit(all);  // one per family, whatever the cap
}

void RequestMetrics::observe(const store::ObservedRecord& o) {
  std::lock_guard lock(mu_);
  add(find(o), o.record);
}

void RequestMetrics::observe_batch(const store::ResolvedBatch& batch) {
  // The lock once per slice of rows, not per record (a lock per record was
  // ~10% of `loupe run`'s ingest writer); slices bound what a scrape waits.
  constexpr size_t kSlice = 4096;
  // A row of a label set (ResolvedRecord::labels) seen before in the batch
  // counts in that set's series: its labels are not gathered and looked
  // up again, nor compared with recent rows' (~270 instructions a row,
  // docs/benchmarks.md "issue 14, runcpu7"). Only series found or
  // admitted: a folded lookup goes the long way every time, so `folded`
  // counts the same; so do rows of no known set (0).
  store::RecordCursor records(batch.records);
  for (size_t first = 0; first < batch.rows.size(); first += kSlice) {
    size_t end = std::min(batch.rows.size(), first + kSlice);
    std::lock_guard lock(mu_);
    if (first == 0) by_labels_.assign(batch.label_sets + 1, {});
    for (size_t i = first; i < end; ++i) {
      burst_point();  // the writer's (core/burst_yield.h)
      const store::ResolvedRecord& row = batch.rows[i];
      const Record& r = records[row.index];
      LabelSeries& seen = by_labels_[row.labels];
      if (seen.known) {
        add(seen.counted, r);
        continue;
      }
      uint64_t folded_before = folded_;
      Counted c = find({r, *row.service, row.caller->stable_name, row.route});
      add(c, r);
      if (row.labels != 0 && folded_ == folded_before) seen = {c, true};
    }
  }
}

void RequestMetrics::add(const Counted& c, const Record& r) {
  if (Series* s = c.family) {
    double seconds = static_cast<double>(r.duration_ns()) / 1e9;
    ++s->buckets[latency_bucket_index(seconds)];
    s->sum_s += seconds;
    ++s->count;
  }
  if (Series* red = c.red) {
    ++red->count;
    red->errors += r.error ? 1 : 0;
  }
}

RequestMetrics::Counted RequestMetrics::find(const store::ObservedRecord& o) {
  const Record& r = o.record;
  std::string_view service = o.service.name;
  bool http = r.protocol == Protocol::Http1 || r.protocol == Protocol::Http2;

  Family family = kFamilies;
  Values v;
  if (http && r.role == Role::Server) {
    family = HttpServer;
    WorkloadLabels k8s = workload_labels(o.service);
    v = {service,  k8s.namespace_, k8s.deployment,        k8s.statefulset,
         r.method, o.route,        status_class(r.status)};
  } else if (http && r.role == Role::Client) {
    family = HttpClient;
    v = {o.caller, service, r.method, o.route, status_class(r.status), "", ""};
  } else if (o.service.counted && !db_system(r.protocol).empty()) {
    family = DbClient;
    v = {o.caller, service, db_system(r.protocol), r.method, error_type(r), "", ""};
  } else if (o.service.counted && r.protocol == Protocol::Dns) {
    family = DnsLookup;
    v = {o.caller, service, error_type(r), "", "", "", ""};
  }

  Counted c;
  if (family != kFamilies) c.family = &series_for(family, v);
  if (o.service.counted)
    c.red = &series_for(Red, {service, to_string(r.protocol), "", "", "", "", ""});
  return c;
}

void RequestMetrics::write(ExpositionWriter& w) const {
  // A copy under the lock, formatted outside it: the store's writer thread
  // observes every record and must not wait for a scrape to be rendered.
  decltype(families_) families;
  uint64_t folded = 0;
  {
    std::lock_guard lock(mu_);
    families = families_;
    folded = folded_;
  }
  auto bounds = latency_bucket_bounds();
  std::vector<uint64_t> cumulative(bounds.size());
  std::array<Label, kMaxLabels> labels;
  auto fill_labels = [&](Family f, const Series& s) {
    for (size_t i = 0; i < kMaxLabels; ++i) labels[i] = {kFamilyInfo[f].labels[i], s.values[i]};
  };
  for (size_t f = HttpServer; f < Red; ++f) {
    const FamilyInfo& info = kFamilyInfo[f];
    w.family(info.name, MetricType::Histogram, info.help, "seconds");
    for (const auto& [key, s] : families[f]) {
      fill_labels(static_cast<Family>(f), s);
      uint64_t running = 0;
      for (size_t i = 0; i < bounds.size(); ++i) cumulative[i] = running += s.buckets[i];
      w.histogram(labels, bounds, cumulative, s.sum_s, s.count);
    }
  }
  w.family("loupe_requests", MetricType::Counter, kFamilyInfo[Red].help);
  for (const auto& [key, s] : families[Red]) {
    fill_labels(Red, s);
    w.counter(labels, static_cast<double>(s.count));
  }
  w.family("loupe_request_errors", MetricType::Counter,
           "Failed requests per service (HTTP 5xx, SQL errors, Redis errors, DNS failures).");
  for (const auto& [key, s] : families[Red]) {
    fill_labels(Red, s);
    w.counter(labels, static_cast<double>(s.errors));
  }
  w.family("loupe_metrics_series_folded", MetricType::Counter,
           "Observations whose label set was past the series cap and went to an {other} series.");
  w.counter({}, static_cast<double>(folded));
}

std::vector<RequestMetrics::FamilySnapshot> RequestMetrics::snapshot() const {
  std::vector<FamilySnapshot> out(kFamilies);
  std::lock_guard lock(mu_);
  for (size_t f = 0; f < kFamilies; ++f) {
    const FamilyInfo& info = kFamilyInfo[f];
    out[f].otel_name = info.otel_name;
    out[f].description = info.help;
    out[f].histogram = f != Red;
    out[f].attributes = info.attributes;
    out[f].series.reserve(families_[f].size());
    for (const auto& [key, s] : families_[f]) out[f].series.push_back(s);
  }
  return out;
}

size_t RequestMetrics::series() const {
  std::lock_guard lock(mu_);
  return series_;
}

uint64_t RequestMetrics::folded() const {
  std::lock_guard lock(mu_);
  return folded_;
}

}  // namespace loupe::exporting
