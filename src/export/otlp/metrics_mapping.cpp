#include "export/otlp/metrics_mapping.h"

#include <map>
#include <string>

#include "export/latency_buckets.h"

namespace loupe::exporting::otlp {
namespace {

namespace metrics = opentelemetry::proto::metrics::v1;
using opentelemetry::proto::common::v1::KeyValue;

void put(google::protobuf::RepeatedPtrField<KeyValue>& attrs, std::string_view key,
         std::string_view value) {
  if (key.empty() || value.empty()) return;
  KeyValue* kv = attrs.Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}

}  // namespace

size_t fill_metrics(
    const std::vector<RequestMetrics::FamilySnapshot>& families, uint64_t start_ns, uint64_t now_ns,
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& out) {
  // Attribute 0 of every family is service.name: it becomes the resource.
  std::map<std::string, metrics::ScopeMetrics*, std::less<>> scopes;
  auto scope_of = [&](const std::string& service) {
    auto it = scopes.find(service);
    if (it != scopes.end()) return it->second;
    auto* rm = out.add_resource_metrics();
    put(*rm->mutable_resource()->mutable_attributes(), "service.name", service);
    auto* scope = rm->add_scope_metrics();
    scope->mutable_scope()->set_name("loupe");
    scope->mutable_scope()->set_version(LOUPE_VERSION);
    return scopes.emplace(service, scope).first->second;
  };
  auto bounds = latency_bucket_bounds();
  size_t points = 0;
  for (const auto& family : families) {
    // One Metric per family and resource, created on its first series.
    std::map<metrics::ScopeMetrics*, std::pair<metrics::Metric*, metrics::Metric*>> metric_of;
    for (const auto& s : family.series) {
      auto* scope = scope_of(s.values[0]);
      auto& [first, errors] = metric_of[scope];
      if (!first) {
        first = scope->add_metrics();
        first->set_name(std::string(family.otel_name));
        first->set_description(std::string(family.description));
        if (family.histogram) {
          first->set_unit("s");
          first->mutable_histogram()->set_aggregation_temporality(
              metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        } else {
          first->set_unit("{request}");
          errors = scope->add_metrics();
          errors->set_name("loupe.request.errors");
          errors->set_description("Failed requests per service (HTTP 5xx, SQL errors, ...).");
          errors->set_unit("{request}");
          for (auto* m : {first, errors}) {
            m->mutable_sum()->set_aggregation_temporality(
                metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
            m->mutable_sum()->set_is_monotonic(true);
          }
        }
      }
      auto fill_common = [&](auto* point) {
        point->set_start_time_unix_nano(start_ns);
        point->set_time_unix_nano(now_ns);
        for (size_t i = 1; i < family.attributes.size(); ++i)
          put(*point->mutable_attributes(), family.attributes[i], s.values[i]);
      };
      if (family.histogram) {
        auto* p = first->mutable_histogram()->add_data_points();
        fill_common(p);
        p->set_count(s.count);
        p->set_sum(s.sum_s);
        for (double b : bounds) p->add_explicit_bounds(b);
        for (uint64_t c : s.buckets) p->add_bucket_counts(c);
        ++points;
      } else {
        auto* total = first->mutable_sum()->add_data_points();
        fill_common(total);
        total->set_as_int(static_cast<int64_t>(s.count));
        auto* failed = errors->mutable_sum()->add_data_points();
        fill_common(failed);
        failed->set_as_int(static_cast<int64_t>(s.errors));
        points += 2;
      }
    }
  }
  return points;
}

}  // namespace loupe::exporting::otlp
