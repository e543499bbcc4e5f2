// Metric time series in the store (docs/storage.md, "Metrics"):
//   metric_series(id, entity, name, label, metric, workload)  one row per series
//   metric_raw(series, t, value)                 every sample, kept for the raw retention
//   metric_minute(series, minute, sum, count, max)  per-minute rollup, kept for the retention
// A query reads the raw table for steps that are not whole minutes and the
// rollup otherwise, so long windows read one row per series and minute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metric.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class MetricTables {
 public:
  static constexpr size_t kMaxSeries = 1'000'000;

  MetricTables() = default;
  explicit MetricTables(Db& wdb);  // creates the tables, prepares statements

  // Inside the caller's transaction; call rolled_back() if it is undone.
  // Samples with an unknown metric or entity, no name or time, a value that
  // is not finite, or a new series beyond kMaxSeries are skipped and counted.
  void write(const std::vector<MetricSample>& samples);
  void rolled_back();
  void delete_before(uint64_t raw_cutoff_ns, uint64_t minute_cutoff_ns);
  uint64_t skipped() const { return skipped_; }

  static std::vector<MetricPoint> query(Db& db, const MetricQuery& q);
  static std::vector<MetricSeriesInfo> series(Db& db, const MetricSeriesQuery& q);

 private:
  struct SeriesRow {
    int64_t id;
    std::string workload;
    int64_t last_minute;
  };
  SeriesRow& series_row(const MetricSample& s);  // inserts a new series

  Db* db_ = nullptr;
  Stmt insert_series_, update_workload_, update_last_minute_, insert_raw_, upsert_minute_;
  std::unordered_map<std::string, SeriesRow> series_;  // key: entity \0 name \0 label \0 metric
  uint64_t skipped_ = 0;
};

}  // namespace loupe::store
