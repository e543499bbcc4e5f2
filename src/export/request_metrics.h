// Request metrics for Prometheus, counted from every record the store
// commits (store/record_observer.h), with OpenTelemetry semantic-convention
// names as Prometheus spells them:
//
//   http_server_request_duration_seconds  server side of HTTP exchanges
//       {service_name, k8s_namespace_name, k8s_deployment_name | k8s_statefulset_name,
//        http_request_method, http_route, http_response_status_class}
//       (the Kubernetes labels for workloads, so the Prometheus Adapter can
//       tie a series to the Deployment an autoscaler scales)
//   http_client_request_duration_seconds  client side of HTTP exchanges
//       {service_name (caller), server_address (callee), http_request_method,
//        http_route, http_response_status_class}
//   db_client_operation_duration_seconds  PostgreSQL, MySQL, Redis, once per exchange
//       {service_name (caller), server_address, db_system_name, db_operation_name, error_type}
//   dns_lookup_duration_seconds           DNS, once per exchange
//       {service_name (caller), server_address, error_type}
//   loupe_requests_total / loupe_request_errors_total  Loupe's RED counts
//       {service_name, protocol}: the numbers /api/v1/services shows
//
// Histograms use export/latency_buckets.h. Cardinality is bounded: past
// `max_series` label sets, a new one keeps its service labels and folds the
// rest into "{other}", and once those are full too, everything folds into
// one "{other}" series per family (counted in folded()).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "export/exposition.h"
#include "store/record_observer.h"

namespace loupe::exporting {

struct RequestMetricsOptions {
  size_t max_series = 2000;  // label sets over every family
};

class RequestMetrics : public store::RecordObserver {
 public:
  static constexpr size_t kMaxLabels = 7;
  struct Series {
    std::array<std::string, kMaxLabels> values;
    std::vector<uint64_t> buckets;  // per bucket, not cumulative; the last is +Inf
    double sum_s = 0;
    uint64_t count = 0;
    uint64_t errors = 0;  // the RED family only
  };
  // One family as OTLP sees it (export/otlp/metrics_mapping.h): the
  // OpenTelemetry names of the metric and its attributes, and its series.
  struct FamilySnapshot {
    std::string_view otel_name;  // "http.server.request.duration"; RED: "loupe.requests"
    std::string_view description;
    bool histogram = true;  // false: the RED counts (count and errors per series)
    std::array<std::string_view, kMaxLabels> attributes;  // OTel names; empty: unused
    std::vector<Series> series;
  };

  explicit RequestMetrics(RequestMetricsOptions options = {}) : options_(options) {}

  void observe(const store::ObservedRecord& r) override;
  void observe_batch(const store::ResolvedBatch& batch) override;

  // Every family, including empty ones (so dashboards find the names).
  void write(ExpositionWriter& w) const;

  // Every family and series now (copied under the lock).
  std::vector<FamilySnapshot> snapshot() const;

  size_t series() const;
  uint64_t folded() const;

 private:
  enum Family : size_t { HttpServer, HttpClient, DbClient, DnsLookup, Red, kFamilies };
  using Values = std::array<std::string_view, kMaxLabels>;

  // The series a record counts in: its family's (null: none) and RED's
  // (null: not counted). mu_ held.
  struct Counted {
    Series* family = nullptr;
    Series* red = nullptr;
  };
  Counted find(const store::ObservedRecord& o);
  // Counts one record in `c`; mu_ held.
  static void add(const Counted& c, const Record& r);
  // The series for `values` in `family`, admitting or folding it.
  Series& series_for(Family family, const Values& values);

  RequestMetricsOptions options_;
  mutable std::mutex mu_;
  // Keyed by the label values joined with '\x1f': sorted output, and
  // lookups of existing series without an allocation.
  std::array<std::map<std::string, Series, std::less<>>, kFamilies> families_;
  size_t series_ = 0;
  uint64_t folded_ = 0;
  std::string key_;  // reused lookup buffer
  // Per family, the label values last looked up and their own series
  // (not a folded one): a batch's records mostly repeat the previous
  // record's labels, and comparing them costs less than joining them into
  // a key and searching the map (perf of `loupe run`). Series live in map
  // nodes, which are never erased.
  struct LastSeries {
    std::array<std::string, kMaxLabels> values;
    Series* series = nullptr;
  };
  std::array<LastSeries, kFamilies> last_;
  // observe_batch's series of each label set of the batch
  // (store::ResolvedRecord::labels; known: found, not folded).
  struct LabelSeries {
    Counted counted;
    bool known = false;
  };
  std::vector<LabelSeries> by_labels_;
};

}  // namespace loupe::exporting
