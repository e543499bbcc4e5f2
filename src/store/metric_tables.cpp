#include "store/metric_tables.h"

#include "store/metric_answers.h"
#include "store/sqlite_db.h"

namespace loupe::store {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS metric_series(
  id INTEGER PRIMARY KEY, entity TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,
  metric TEXT NOT NULL, workload TEXT NOT NULL,
  last_minute INTEGER NOT NULL DEFAULT 0,  -- the newest minute with a sample, for retention
  UNIQUE(entity, name, label, metric));
CREATE INDEX IF NOT EXISTS metric_series_workload ON metric_series(workload, metric);
CREATE TABLE IF NOT EXISTS metric_raw(
  series INTEGER NOT NULL, t INTEGER NOT NULL, value REAL NOT NULL,
  PRIMARY KEY(series, t)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metric_raw_time ON metric_raw(t);
CREATE TABLE IF NOT EXISTS metric_minute(
  series INTEGER NOT NULL, minute INTEGER NOT NULL,
  sum REAL NOT NULL, count INTEGER NOT NULL, max REAL NOT NULL,
  PRIMARY KEY(series, minute)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metric_minute_time ON metric_minute(minute);
)sql";

std::string series_key(const MetricSample& s) {
  std::string k;
  k.reserve(s.entity.size() + s.name.size() + s.label.size() + s.metric.size() + 3);
  for (const std::string* f : {&s.entity, &s.name, &s.label, &s.metric}) {
    k += *f;
    k += '\0';
  }
  return k;
}

SeriesBuckets read_buckets(Db& db, int64_t series, const MetricQuery& q) {
  bool raw = q.step_s % 60 != 0;
  auto [from, to] = metric_seconds(q.range);
  Stmt s(db, raw ? "SELECT t / ?, sum(value), count(*) FROM metric_raw "
                   "WHERE series = ? AND t >= ? AND t < ? GROUP BY 1"
                 : "SELECT minute / ?, sum(sum), sum(count) FROM metric_minute "
                   "WHERE series = ? AND minute >= ? AND minute < ? GROUP BY 1");
  s.bind(1, static_cast<int64_t>(q.step_s));
  s.bind(2, series);
  s.bind(3, from);
  s.bind(4, to);
  SeriesBuckets out;
  while (s.step()) out[s.i64(0)] = {s.f64(1), s.i64(2)};
  return out;
}

std::vector<int64_t> select_series(Db& db, const MetricQuery& q, std::string_view metric) {
  // A workload is the sum of its pods.
  bool workload = q.entity == "workload";
  std::string sql = workload ? "SELECT id FROM metric_series WHERE workload = ? AND metric = ? "
                               "AND entity = 'pod'"
                             : "SELECT id FROM metric_series WHERE name = ? AND metric = ? "
                               "AND entity = ?";
  if (q.label) sql += " AND label = ?";
  Stmt s(db, sql);
  int i = 1;
  s.bind(i++, std::string_view(q.name));
  s.bind(i++, metric);
  if (!workload) s.bind(i++, std::string_view(q.entity));
  if (q.label) s.bind(i++, std::string_view(*q.label));
  std::vector<int64_t> ids;
  while (s.step()) ids.push_back(s.i64(0));
  return ids;
}

}  // namespace

MetricTables::MetricTables(Db& wdb) : db_(&wdb) {
  wdb.exec(kSchema);
  {  // databases from before series had last_minute gain the column
    Stmt col(wdb, "SELECT 1 FROM pragma_table_info('metric_series') WHERE name = 'last_minute'");
    if (!col.step())
      wdb.exec("ALTER TABLE metric_series ADD COLUMN last_minute INTEGER NOT NULL DEFAULT 0");
  }
  insert_series_ = Stmt(wdb,
                        "INSERT INTO metric_series(entity, name, label, metric, workload) "
                        "VALUES(?,?,?,?,?)");
  update_workload_ = Stmt(wdb, "UPDATE metric_series SET workload = ? WHERE id = ?");
  update_last_minute_ = Stmt(wdb, "UPDATE metric_series SET last_minute = ? WHERE id = ?");
  insert_raw_ = Stmt(wdb, "INSERT OR IGNORE INTO metric_raw(series, t, value) VALUES(?,?,?)");
  upsert_minute_ = Stmt(wdb,
                        "INSERT INTO metric_minute(series, minute, sum, count, max) "
                        "VALUES(?,?,?,1,?) ON CONFLICT(series, minute) DO UPDATE SET "
                        "sum = sum + excluded.sum, count = count + 1, "
                        "max = max(max, excluded.max)");
  rolled_back();
}

void MetricTables::rolled_back() {
  series_.clear();
  Stmt all(*db_,
           "SELECT id, entity, name, label, metric, workload, last_minute FROM metric_series");
  while (all.step()) {
    MetricSample s;
    s.entity = all.text(1);
    s.name = all.text(2);
    s.label = all.text(3);
    s.metric = all.text(4);
    series_[series_key(s)] = {all.i64(0), all.text(5), all.i64(6)};
  }
}

MetricTables::SeriesRow& MetricTables::series_row(const MetricSample& s) {
  std::string key = series_key(s);
  if (auto it = series_.find(key); it != series_.end()) {
    // A pod named before the collector reported it gains its workload later.
    if (!s.workload.empty() && it->second.workload != s.workload) {
      update_workload_.bind(1, std::string_view(s.workload));
      update_workload_.bind(2, it->second.id);
      update_workload_.run();
      it->second.workload = s.workload;
    }
    return it->second;
  }
  insert_series_.bind(1, std::string_view(s.entity));
  insert_series_.bind(2, std::string_view(s.name));
  insert_series_.bind(3, std::string_view(s.label));
  insert_series_.bind(4, std::string_view(s.metric));
  insert_series_.bind(5, std::string_view(s.workload));
  insert_series_.run();
  int64_t id = sqlite3_last_insert_rowid(db_->get());
  return series_.emplace(std::move(key), SeriesRow{id, s.workload, 0}).first->second;
}

void MetricTables::write(const std::vector<MetricSample>& samples) {
  for (const MetricSample& s : samples) {
    if (!storable_metric_sample(s)) {
      ++skipped_;
      continue;
    }
    // Bounded like every table keyed by names from outside: a flood of new
    // cgroups or peers cannot grow the series without limit.
    if (series_.size() >= kMaxSeries && !series_.contains(series_key(s))) {
      ++skipped_;
      continue;
    }
    SeriesRow& row = series_row(s);
    int64_t id = row.id;
    auto t = static_cast<int64_t>(s.time_ns / 1'000'000'000ULL);
    // One update per series and minute tells retention which series still live.
    if (t / 60 * 60 > row.last_minute) {
      row.last_minute = t / 60 * 60;
      update_last_minute_.bind(1, row.last_minute);
      update_last_minute_.bind(2, id);
      update_last_minute_.run();
    }
    insert_raw_.bind(1, id);
    insert_raw_.bind(2, t);
    insert_raw_.bind(3, s.value);
    insert_raw_.run();
    // A sample sent twice (an agent retrying a batch the server took) is
    // stored once and rolled up once.
    if (sqlite3_changes(db_->get()) == 0) continue;
    upsert_minute_.bind(1, id);
    upsert_minute_.bind(2, t / 60 * 60);
    upsert_minute_.bind(3, s.value);
    upsert_minute_.bind(4, s.value);
    upsert_minute_.run();
  }
}

void MetricTables::delete_before(uint64_t raw_cutoff_ns, uint64_t minute_cutoff_ns) {
  Stmt raw(*db_, "DELETE FROM metric_raw WHERE t < ?");
  raw.bind(1, static_cast<int64_t>(raw_cutoff_ns / 1'000'000'000ULL));
  raw.run();
  auto cutoff_s = static_cast<int64_t>(minute_cutoff_ns / 1'000'000'000ULL);
  Stmt minute(*db_, "DELETE FROM metric_minute WHERE minute + 60 <= ?");
  minute.bind(1, cutoff_s);
  minute.run();
  // Series of cgroups, pods and peers long gone go too, so churn does not
  // fill the series cap.
  Stmt series(*db_, "DELETE FROM metric_series WHERE last_minute + 60 <= ?");
  series.bind(1, cutoff_s);
  series.run();
  if (sqlite3_changes(db_->get()) > 0) rolled_back();  // reload the cache
}

std::vector<MetricPoint> MetricTables::query(Db& db, const MetricQuery& q) {
  return metric_points(q, [&db, &q](std::string_view metric) {
    std::vector<SeriesBuckets> out;
    for (int64_t id : select_series(db, q, metric)) out.push_back(read_buckets(db, id, q));
    return out;
  });
}

std::vector<MetricSeriesInfo> MetricTables::series(Db& db, const MetricSeriesQuery& q) {
  std::string sql = "SELECT entity, name, label, metric, workload FROM metric_series WHERE 1";
  if (q.entity) sql += " AND entity = ?";
  if (q.name) sql += " AND name = ?";
  if (q.workload) sql += " AND workload = ?";
  sql += " ORDER BY entity, name, metric, label";
  Stmt s(db, sql);
  int i = 1;
  for (const auto* f : {&q.entity, &q.name, &q.workload})
    if (*f) s.bind(i++, std::string_view(**f));
  std::vector<MetricSeriesInfo> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)});
  return out;
}

}  // namespace loupe::store
