#include "store/metric_answers.h"

#include <cmath>

namespace loupe::store {
namespace {

// Bucket -> value of `metric` summed over the selected series.
std::map<int64_t, double> summed(const ReadMetricSeries& read, std::string_view metric,
                                 MetricKind kind) {
  std::map<int64_t, double> out;
  for (const SeriesBuckets& series : read(metric))
    for (const auto& [b, v] : series)
      out[b] += kind == MetricKind::Gauge ? v.sum / static_cast<double>(v.count) : v.sum;
  return out;
}

}  // namespace

bool storable_metric_sample(const MetricSample& s) {
  const MetricInfo* info = find_metric(s.metric);
  bool stored_entity =
      s.entity == "node" || s.entity == "pod" || s.entity == "container" || s.entity == "process";
  return info && info->kind != MetricKind::Ratio && stored_entity && !s.name.empty() &&
         s.time_ns != 0 && std::isfinite(s.value);
}

std::vector<MetricPoint> metric_points(const MetricQuery& q, const ReadMetricSeries& read) {
  const MetricInfo* info = find_metric(q.metric);
  if (!info || q.step_s == 0) return {};
  std::map<int64_t, double> values;
  if (info->kind == MetricKind::Ratio) {
    auto num = summed(read, info->numerator, MetricKind::Counter);
    for (const auto& [b, den] : summed(read, info->denominator, MetricKind::Counter))
      if (den > 0) values[b] = num.contains(b) ? num[b] / den : 0.0;
  } else {
    values = summed(read, info->name, info->kind);
  }
  std::vector<MetricPoint> out;
  out.reserve(values.size());
  for (const auto& [b, v] : values) out.push_back({static_cast<uint64_t>(b) * q.step_s, v});
  return out;
}

std::pair<int64_t, int64_t> metric_seconds(const TimeRange& range) {
  return {static_cast<int64_t>(range.from_ns / 1'000'000'000ULL),
          static_cast<int64_t>((range.to_ns + 999'999'999ULL) / 1'000'000'000ULL)};
}

}  // namespace loupe::store
