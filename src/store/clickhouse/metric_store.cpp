// ClickHouseStore's metrics: samples in loupe_metric_samples (one row per
// series and second, signal_schema.cpp); every answer is read from them,
// one value per (series, second) so a sample an agent sent twice counts
// once, bucketed by the query's step in ClickHouse, and folded into points
// by the embedded store's code (store/metric_answers.h). Written through
// the spool like records (store_write), so a sample acknowledged while
// ClickHouse is down is stored when it is back.
//
// The embedded store keeps raw samples for a shorter retention than its
// per-minute rollups and deletes both row by row; here whole days go, and
// reads leave out what the embedded store would have deleted already
// (the cutoffs enforce_retention sets), so both answer alike.
#include <algorithm>
#include <tuple>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/tables.h"
#include "store/metric_answers.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kColumns = "t, entity, name, label, metric, workload, value";

std::string eq(std::string_view column, const std::string& value) {
  return " AND " + std::string(column) + " = " + quote_literal(value);
}

// A series' workload as the embedded store keeps it: the newest one a
// sample named (a pod named before the collector reported it gains its
// workload later).
constexpr std::string_view kSeriesWorkload = "argMaxIf(workload, t, workload != '')";

int64_t minute_floor(int64_t s) { return s / 60 * 60; }
int64_t seconds(uint64_t ns) { return static_cast<int64_t>(ns / 1'000'000'000ULL); }
int64_t minute_ceil(int64_t s) { return (s + 59) / 60 * 60; }

}  // namespace

void ClickHouseStore::write_metrics(const std::vector<MetricSample>& samples) {
  RowBinaryWriter out;
  uint64_t skipped = 0, rows = 0;
  for (const MetricSample& s : samples) {
    if (!storable_metric_sample(s)) {
      ++skipped;
      continue;
    }
    out.uint32(static_cast<uint32_t>(s.time_ns / 1'000'000'000ULL));
    out.string(s.entity);
    out.string(s.name);
    out.string(s.label);
    out.string(s.metric);
    out.string(s.workload);
    out.float64(s.value);
    ++rows;
  }
  metric_samples_skipped_ += skipped;
  // A sample sent twice is read once: the spool may send it again.
  if (rows) store_write(idempotent_write(kMetricSamplesTable, kColumns, out.take(), rows));
}

std::vector<MetricPoint> ClickHouseStore::metrics(const MetricQuery& q) {
  if (q.step_s == 0) return {};
  // Named variables, not a structured binding: the lambdas below use them
  // (clang 14, which builds the fuzz targets, cannot capture bindings).
  int64_t from = 0, to = 0;
  std::tie(from, to) = metric_seconds(q.range);
  if (q.step_s % 60 == 0) {
    // Per-minute answers: the minutes whose start lies in [from, to) and
    // that retention has not passed (the embedded store deletes a minute
    // once it ended before the cutoff).
    from = std::max(minute_ceil(from), minute_floor(seconds(retention_cutoff_ns_.load())));
    to = minute_ceil(to);
  } else {
    from = std::max(from, metric_raw_cutoff_s_.load());
  }
  if (from >= to) return {};
  const std::string step = std::to_string(q.step_s);
  return with_client([&](Client& c) {
    return metric_points(q, [&](std::string_view metric) {
      std::string m = quote_literal(metric);
      std::string where = " WHERE metric = " + m + " AND t >= toDateTime(" + std::to_string(from) +
                          ") AND t < toDateTime(" + std::to_string(to) + ")";
      if (q.entity == "workload") {  // the sum of its pods' series
        // GLOBAL: in cluster mode both sides are Distributed tables.
        where += " AND entity = 'pod' AND (name, label) GLOBAL IN (SELECT name, label FROM " +
                 std::string(kMetricSamplesTable) + " WHERE metric = " + m +
                 " AND entity = 'pod' GROUP BY name, label HAVING " + std::string(kSeriesWorkload) +
                 " = " + quote_literal(q.name) + ")";
      } else {
        where += eq("entity", q.entity) + eq("name", q.name);
      }
      if (q.label) where += eq("label", *q.label);
      std::string sql = "SELECT name, label, intDiv(s, " + step +
                        ") AS b, sum(v), count() FROM (SELECT name, label, toUInt32(t) AS s, "
                        "any(value) AS v FROM " +
                        std::string(kMetricSamplesTable) + where +
                        " GROUP BY name, label, s) GROUP BY name, label, b ORDER BY name, label, b";
      std::vector<SeriesBuckets> series;
      std::pair<std::string, std::string> current;
      for (auto& row : c.select(sql, 5)) {
        if (series.empty() || current != std::pair{row[0], row[1]}) {
          series.emplace_back();
          current = {row[0], row[1]};
        }
        series.back()[static_cast<int64_t>(parse_uint(row[2]))] = {
            parse_double(row[3]), static_cast<int64_t>(parse_uint(row[4]))};
      }
      return series;
    });
  });
}

std::vector<MetricSeriesInfo> ClickHouseStore::metric_series(const MetricSeriesQuery& q) {
  std::string sql = "SELECT entity, name, label, metric, " + std::string(kSeriesWorkload) +
                    " AS w FROM " + std::string(kMetricSamplesTable) + " WHERE 1";
  if (q.entity) sql += eq("entity", *q.entity);
  if (q.name) sql += eq("name", *q.name);
  sql += " GROUP BY entity, name, label, metric HAVING 1";
  if (q.workload)
    sql += " AND " + std::string(kSeriesWorkload) + " = " + quote_literal(*q.workload);
  // A series goes with its last minute (as the embedded store deletes it).
  if (int64_t cutoff = seconds(retention_cutoff_ns_.load()); cutoff > 0)
    sql += " AND max(t) >= toDateTime(" + std::to_string(minute_floor(cutoff)) + ")";
  sql += " ORDER BY entity, name, metric, label";
  return with_client([&sql](Client& c) {
    std::vector<MetricSeriesInfo> out;
    for (auto& row : c.select(sql, 5)) out.push_back({row[0], row[1], row[2], row[3], row[4]});
    return out;
  });
}

}  // namespace loupe::store::clickhouse
