// What every store does with metric samples that is not SQL: which samples
// are stored at all, and how a query's answer is folded from the per-series
// buckets a backend read (a gauge is the mean of its samples, a counter
// their sum, a ratio divides two counters' sums, a workload sums its pods'
// series). The embedded store (metric_tables.cpp) and ClickHouse
// (clickhouse/metric_store.cpp) both call these, so they answer alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "store/store.h"

namespace loupe::store {

// False for samples the store skips (and counts): an unknown metric, a
// ratio (computed when read), an entity other than node, pod, container or
// process (workloads are sums of pods), no name or time, a value that is
// not finite.
bool storable_metric_sample(const MetricSample& s);

// One bucket of one series: sum and count of its samples.
struct MetricBucket {
  double sum = 0;
  int64_t count = 0;
};
// Bucket index (start / step) -> bucket, for one series.
using SeriesBuckets = std::map<int64_t, MetricBucket>;
// Reads the buckets of every series q selects for one stored metric name
// (q.metric itself, or a ratio's numerator or denominator).
using ReadMetricSeries = std::function<std::vector<SeriesBuckets>(std::string_view metric)>;

// q's points, oldest first; empty for an unknown metric.
std::vector<MetricPoint> metric_points(const MetricQuery& q, const ReadMetricSeries& read);

// Seconds of q's range as the stores bound it: [floor(from), ceil(to)).
std::pair<int64_t, int64_t> metric_seconds(const TimeRange& range);

}  // namespace loupe::store
