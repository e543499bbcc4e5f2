#include "store/log_tables.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>

#include "store/log_answers.h"

namespace loupe::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS log_sources(
  id INTEGER PRIMARY KEY, node TEXT NOT NULL, source TEXT NOT NULL, file TEXT NOT NULL,
  namespace TEXT NOT NULL, pod TEXT NOT NULL, container TEXT NOT NULL, workload TEXT NOT NULL,
  pod_uid TEXT NOT NULL,
  UNIQUE(node, source));
CREATE INDEX IF NOT EXISTS log_sources_pod ON log_sources(namespace, pod);
CREATE INDEX IF NOT EXISTS log_sources_workload ON log_sources(workload);
CREATE TABLE IF NOT EXISTS logs(
  id INTEGER PRIMARY KEY, source INTEGER NOT NULL, pos INTEGER NOT NULL, time_ns INTEGER NOT NULL,
  level INTEGER NOT NULL, stream INTEGER NOT NULL, truncated INTEGER NOT NULL,
  UNIQUE(source, pos));
CREATE INDEX IF NOT EXISTS logs_time ON logs(time_ns);
CREATE VIRTUAL TABLE IF NOT EXISTS logs_text USING fts5(text);
CREATE TABLE IF NOT EXISTS log_patterns(
  id INTEGER PRIMARY KEY, text TEXT NOT NULL, level INTEGER NOT NULL,
  first_seen_ns INTEGER NOT NULL, example TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_pattern_minutes(
  pattern INTEGER NOT NULL, minute INTEGER NOT NULL, source INTEGER NOT NULL,
  level INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(minute, pattern, source, level)) WITHOUT ROWID;
)sql";

constexpr uint64_t kNsPerMinute = 60'000'000'000ULL;

// The WHERE clause of a LogQuery over `logs l JOIN log_sources s`, and the
// values it binds, in order.
struct Filter {
  std::string sql;
  std::vector<std::function<void(Stmt&, int)>> binds;

  void add(const std::string& clause, std::function<void(Stmt&, int)> bind) {
    sql += " AND " + clause;
    binds.push_back(std::move(bind));
  }
  void bind(Stmt& s) const {
    for (size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i) + 1);
  }
};

// The filters on who wrote an entry (`s`: log_sources) and its level.
void add_entity_filter(Filter& f, const LogQuery& q, const char* level_column) {
  auto text = [&f](const char* column, const std::optional<std::string>& v) {
    if (v)
      f.add(std::string(column) + " = ?",
            [&v](Stmt& s, int i) { s.bind(i, std::string_view(*v)); });
  };
  text("s.node", q.node);
  text("s.namespace", q.namespace_);
  text("s.workload", q.workload);
  text("s.pod", q.pod);
  text("s.container", q.container);
  if (!q.levels.empty()) {
    std::string in;
    for (logs::Level l : q.levels)
      in += (in.empty() ? "" : ",") + std::to_string(static_cast<int>(l));
    f.sql += std::string(" AND ") + level_column + " IN (" + in + ")";
  }
}

// How a text search joins the FTS index: by the set of matching rows (few
// matches), or by testing each row met newest first (a common word, whose
// set would be most of the store).
enum class TextPlan { MatchingSet, RowByRow };

Filter filter_of(const LogQuery& q, const std::string& fts, bool paging,
                 TextPlan plan = TextPlan::MatchingSet) {
  Filter f;
  f.sql = "l.time_ns >= ?";
  f.binds.push_back([from = i64(q.range.from_ns)](Stmt& s, int i) { s.bind(i, from); });
  f.add("l.time_ns < ?", [to = i64(q.range.to_ns)](Stmt& s, int i) { s.bind(i, to); });
  add_entity_filter(f, q, "l.level");
  if (q.pattern)
    f.add("l.pattern = ?", [p = int64_t{*q.pattern}](Stmt& s, int i) { s.bind(i, p); });
  if (!fts.empty()) {
    f.add(plan == TextPlan::MatchingSet
              ? "l.id IN (SELECT rowid FROM logs_text WHERE logs_text MATCH ?)"
              : "EXISTS (SELECT 1 FROM logs_text WHERE logs_text MATCH ? AND rowid = l.id)",
          [&fts](Stmt& s, int i) { s.bind(i, std::string_view(fts)); });
  }
  if (paging && q.before) {
    const int64_t t = i64(q.before->first), id = q.before->second;
    f.sql += " AND (l.time_ns < ? OR (l.time_ns = ? AND l.id < ?))";
    f.binds.push_back([t](Stmt& s, int i) { s.bind(i, t); });
    f.binds.push_back([t](Stmt& s, int i) { s.bind(i, t); });
    f.binds.push_back([id](Stmt& s, int i) { s.bind(i, id); });
  }
  return f;
}

// The cheaper plan for the newest `limit` entries matching `fts`: the set
// costs one step per match anywhere in the store, row by row about
// limit / selectivity steps, so row by row wins once
// matches^2 > limit * entries. Matches are counted only up to that point.
TextPlan text_plan(Db& db, const std::string& fts, uint64_t limit) {
  // One min() or max() per SELECT: SQLite answers each from the index end.
  Stmt size(db, "SELECT coalesce((SELECT max(id) FROM logs) - (SELECT min(id) FROM logs) + 1, 0)");
  size.step();
  const double entries = static_cast<double>(size.i64(0));
  const auto enough = static_cast<int64_t>(std::sqrt(static_cast<double>(limit) * entries)) + 1;
  Stmt matches(db,
               "SELECT count(*) FROM (SELECT 1 FROM logs_text WHERE logs_text MATCH ? LIMIT ?)");
  matches.bind(1, std::string_view(fts));
  matches.bind(2, enough);
  matches.step();
  return matches.i64(0) >= enough ? TextPlan::RowByRow : TextPlan::MatchingSet;
}

bool has_column(Db& db, const char* table, const char* column) {
  Stmt s(db, std::string("SELECT 1 FROM pragma_table_info('") + table + "') WHERE name = ?");
  s.bind(1, std::string_view(column));
  return s.step();
}

}  // namespace

LogTables::LogTables(Db& wdb) : db_(&wdb) {
  wdb.exec(kSchema);
  // Stores made before patterns existed.
  if (!has_column(wdb, "logs", "pattern"))
    wdb.exec("ALTER TABLE logs ADD COLUMN pattern INTEGER NOT NULL DEFAULT 0");
  insert_source_ =
      Stmt(wdb,
           "INSERT OR IGNORE INTO log_sources(node, source, file, namespace, pod, container, "
           "workload, pod_uid) VALUES(?,?,?,?,?,?,?,?)");
  select_source_ = Stmt(wdb, "SELECT id, workload FROM log_sources WHERE node = ? AND source = ?");
  update_workload_ = Stmt(wdb, "UPDATE log_sources SET workload = ? WHERE id = ?");
  insert_log_ = Stmt(wdb,
                     "INSERT OR IGNORE INTO logs(source, pos, time_ns, level, stream, truncated, "
                     "pattern) VALUES(?,?,?,?,?,?,?)");
  count_pattern_ = Stmt(wdb,
                        "INSERT INTO log_pattern_minutes(pattern, minute, source, level, count) "
                        "VALUES(?,?,?,?,?) ON CONFLICT DO UPDATE SET count = count + "
                        "excluded.count");
  upsert_pattern_ = Stmt(wdb,
                         "INSERT INTO log_patterns(id, text, level, first_seen_ns, example) "
                         "VALUES(?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET text = excluded.text");
  insert_text_ = Stmt(wdb, "INSERT INTO logs_text(rowid, text) VALUES(?,?)");
}

int64_t LogTables::source_id(const logs::Entry& e) {
  std::string key = e.node + '\0' + e.source;
  auto it = sources_.find(key);
  if (it == sources_.end()) {
    insert_source_.bind(1, std::string_view(e.node));
    insert_source_.bind(2, std::string_view(e.source));
    insert_source_.bind(3, std::string_view(e.file));
    insert_source_.bind(4, std::string_view(e.namespace_));
    insert_source_.bind(5, std::string_view(e.pod));
    insert_source_.bind(6, std::string_view(e.container));
    insert_source_.bind(7, std::string_view(e.workload));
    insert_source_.bind(8, std::string_view(e.pod_uid));
    insert_source_.run();
    select_source_.bind(1, std::string_view(e.node));
    select_source_.bind(2, std::string_view(e.source));
    if (!select_source_.step()) throw StoreError("log source vanished while writing");
    SourceRow row{select_source_.i64(0), select_source_.text(1)};
    select_source_.reset();
    it = sources_.emplace(std::move(key), std::move(row)).first;
  }
  // The workload is learnt once the cluster model knows the pod.
  if (it->second.workload.empty() && !e.workload.empty()) {
    update_workload_.bind(1, std::string_view(e.workload));
    update_workload_.bind(2, it->second.id);
    update_workload_.run();
    it->second.workload = e.workload;
  }
  return it->second.id;
}

uint64_t LogTables::write(const std::vector<logs::Entry>& entries) {
  uint64_t stored = 0;
  // (minute, pattern, source, level) -> entries
  std::map<std::tuple<uint64_t, uint32_t, int64_t, uint8_t>, uint64_t> counts;
  for (const logs::Entry& e : entries) {
    int64_t source = source_id(e);
    insert_log_.bind(1, source);
    insert_log_.bind(2, i64(e.offset));
    insert_log_.bind(3, i64(e.time_ns));
    insert_log_.bind(4, int64_t{static_cast<uint8_t>(e.level)});
    insert_log_.bind(5, int64_t{static_cast<uint8_t>(e.stream)});
    insert_log_.bind(6, int64_t{e.truncated});
    insert_log_.bind(7, int64_t{e.pattern});
    insert_log_.run();
    if (sqlite3_changes(db_->get()) == 0) continue;  // stored before
    // Every entry is counted, those without a pattern under id 0: the
    // histogram answers whole minutes from these counts.
    ++counts[{e.time_ns / kNsPerMinute, e.pattern, source, static_cast<uint8_t>(e.level)}];
    insert_text_.bind(1, static_cast<int64_t>(sqlite3_last_insert_rowid(db_->get())));
    insert_text_.bind(2, std::string_view(e.text));
    insert_text_.run();
    ++stored;
  }
  for (const auto& [key, n] : counts) {
    const auto& [minute, pattern, source, level] = key;
    count_pattern_.bind(1, int64_t{pattern});
    count_pattern_.bind(2, i64(minute));
    count_pattern_.bind(3, source);
    count_pattern_.bind(4, int64_t{level});
    count_pattern_.bind(5, i64(n));
    count_pattern_.run();
  }
  return stored;
}

void LogTables::write_patterns(const std::vector<logs::Pattern>& patterns) {
  for (const logs::Pattern& p : patterns) {
    upsert_pattern_.bind(1, int64_t{p.id});
    upsert_pattern_.bind(2, std::string_view(p.text));
    upsert_pattern_.bind(3, int64_t{static_cast<uint8_t>(p.level)});
    upsert_pattern_.bind(4, i64(p.first_seen_ns));
    upsert_pattern_.bind(5, std::string_view(p.example));
    upsert_pattern_.run();
  }
}

namespace {

logs::Pattern pattern_of(Stmt& s, int first) {
  return logs::Pattern{static_cast<uint32_t>(s.i64(first)), s.text(first + 1),
                       static_cast<logs::Level>(std::min<int64_t>(s.i64(first + 2), 6)),
                       static_cast<uint64_t>(s.i64(first + 3)), s.text(first + 4)};
}

// Entries per pattern per `step_s` bucket of minutes [from, to) (a bucket
// for every pattern in `points`, counted into `count`).
void pattern_counts(Db& db, const LogPatternQuery& q, uint64_t from_min, uint64_t to_min,
                    const std::function<void(uint32_t, uint64_t, uint64_t)>& add) {
  Filter f;
  f.sql = "m.minute >= ?";
  f.binds.push_back([from = i64(from_min)](Stmt& s, int i) { s.bind(i, from); });
  f.add("m.minute < ?", [to = i64(to_min)](Stmt& s, int i) { s.bind(i, to); });
  add_entity_filter(f, q.filter, "m.level");
  Stmt s(db,
         "SELECT m.pattern, m.minute * 60 / ? * ?, sum(m.count) FROM log_pattern_minutes m "
         "JOIN log_sources s ON s.id = m.source WHERE " +
             f.sql + " GROUP BY 1, 2");
  s.bind(1, i64(q.step_s));
  s.bind(2, i64(q.step_s));
  for (size_t i = 0; i < f.binds.size(); ++i) f.binds[i](s, static_cast<int>(i) + 3);
  while (s.step())
    add(static_cast<uint32_t>(s.i64(0)), static_cast<uint64_t>(s.i64(1)),
        static_cast<uint64_t>(s.i64(2)));
}

}  // namespace

std::vector<logs::Pattern> LogTables::all_patterns(Db& db) {
  Stmt s(db, "SELECT id, text, level, first_seen_ns, example FROM log_patterns ORDER BY id");
  std::vector<logs::Pattern> out;
  while (s.step()) out.push_back(pattern_of(s, 0));
  return out;
}

std::vector<LogPatternRow> LogTables::patterns(Db& db, const LogPatternQuery& q) {
  Stmt def(db, "SELECT id, text, level, first_seen_ns, example FROM log_patterns WHERE id = ?");
  return log_pattern_rows(
      q,
      [&db, &q](uint64_t from_min, uint64_t to_min, const auto& add) {
        pattern_counts(db, q, from_min, to_min, add);
      },
      [&def](uint32_t id) -> std::optional<logs::Pattern> {
        def.bind(1, int64_t{id});
        std::optional<logs::Pattern> p;
        if (def.step()) p = pattern_of(def, 0);
        def.reset();
        return p;
      });
}

uint64_t LogTables::delete_before(uint64_t cutoff_ns) {
  Stmt text(*db_, "DELETE FROM logs_text WHERE rowid IN (SELECT id FROM logs WHERE time_ns < ?)");
  text.bind(1, i64(cutoff_ns));
  text.run();
  Stmt rows(*db_, "DELETE FROM logs WHERE time_ns < ?");
  rows.bind(1, i64(cutoff_ns));
  rows.run();
  auto deleted = static_cast<uint64_t>(sqlite3_changes(db_->get()));
  Stmt minutes(*db_, "DELETE FROM log_pattern_minutes WHERE minute < ?");
  minutes.bind(1, i64(cutoff_ns / kNsPerMinute));
  minutes.run();
  db_->exec(
      "DELETE FROM log_sources WHERE NOT EXISTS (SELECT 1 FROM logs WHERE logs.source = "
      "log_sources.id)");
  sources_.clear();
  return deleted;
}

std::string LogTables::fts_query(std::string_view text) {
  std::string out;
  for (std::string_view word : search_words(text)) {
    bool prefix = word.size() > 1 && word.ends_with('*');
    if (prefix) word.remove_suffix(1);
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : word) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
    if (prefix) out += '*';
  }
  return out;
}

std::vector<StoredLog> LogTables::query(Db& db, const LogQuery& q) {
  std::string fts = fts_query(q.text);
  if (!q.text.empty() && fts.empty()) return {};
  Filter f =
      filter_of(q, fts, true, fts.empty() ? TextPlan::MatchingSet : text_plan(db, fts, q.limit));
  Stmt s(db,
         "SELECT l.id, l.time_ns, l.level, l.stream, l.truncated, l.pos, t.text, s.node, s.source, "
         "s.file, s.namespace, s.pod, s.container, s.workload, s.pod_uid, l.pattern "
         "FROM logs l JOIN log_sources s ON s.id = l.source JOIN logs_text t ON t.rowid = l.id "
         "WHERE " +
             f.sql + " ORDER BY l.time_ns DESC, l.id DESC LIMIT ?");
  f.bind(s);
  s.bind(static_cast<int>(f.binds.size()) + 1, static_cast<int64_t>(q.limit));
  std::vector<StoredLog> out;
  while (s.step()) {
    StoredLog r;
    r.id = s.i64(0);
    logs::Entry& e = r.entry;
    e.time_ns = static_cast<uint64_t>(s.i64(1));
    e.level = static_cast<logs::Level>(std::min<int64_t>(s.i64(2), 6));
    e.stream = static_cast<logs::Stream>(std::min<int64_t>(s.i64(3), 2));
    e.truncated = s.i64(4) != 0;
    e.offset = static_cast<uint64_t>(s.i64(5));
    e.text = s.text(6);
    e.node = s.text(7);
    e.source = s.text(8);
    e.file = s.text(9);
    e.namespace_ = s.text(10);
    e.pod = s.text(11);
    e.container = s.text(12);
    e.workload = s.text(13);
    e.pod_uid = s.text(14);
    e.pattern = static_cast<uint32_t>(s.i64(15));
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// Entries per (bucket, level) of [from_ns, to_ns), counted from the rows.
void histogram_of_rows(Db& db, LogQuery q, const std::string& fts, uint64_t step_s,
                       uint64_t from_ns, uint64_t to_ns, LevelCounts& out) {
  if (from_ns >= to_ns) return;
  q.range = {from_ns, to_ns};
  Filter f = filter_of(q, fts, false);
  Stmt s(db,
         "SELECT l.time_ns / ?, l.level, count(*) FROM logs l JOIN log_sources s ON s.id = "
         "l.source WHERE " +
             f.sql + " GROUP BY 1, 2");
  // The step binds first; the filter's values follow.
  s.bind(1, i64(step_s * 1'000'000'000ULL));
  for (size_t i = 0; i < f.binds.size(); ++i) f.binds[i](s, static_cast<int>(i) + 2);
  while (s.step())
    out[{static_cast<uint64_t>(s.i64(0)) * step_s, s.i64(1)}] += static_cast<uint64_t>(s.i64(2));
}

// The same from the per-minute counts, for whole minutes [from_min, to_min).
void histogram_of_minutes(Db& db, const LogQuery& q, uint64_t step_s, uint64_t from_min,
                          uint64_t to_min, LevelCounts& out) {
  if (from_min >= to_min) return;
  Filter f;
  f.sql = "m.minute >= ?";
  f.binds.push_back([from = i64(from_min)](Stmt& s, int i) { s.bind(i, from); });
  f.add("m.minute < ?", [to = i64(to_min)](Stmt& s, int i) { s.bind(i, to); });
  add_entity_filter(f, q, "m.level");
  if (q.pattern)
    f.add("m.pattern = ?", [p = int64_t{*q.pattern}](Stmt& s, int i) { s.bind(i, p); });
  Stmt s(db,
         "SELECT m.minute * 60 / ?, m.level, sum(m.count) FROM log_pattern_minutes m "
         "JOIN log_sources s ON s.id = m.source WHERE " +
             f.sql + " GROUP BY 1, 2");
  s.bind(1, i64(step_s));
  for (size_t i = 0; i < f.binds.size(); ++i) f.binds[i](s, static_cast<int>(i) + 2);
  while (s.step())
    out[{static_cast<uint64_t>(s.i64(0)) * step_s, s.i64(1)}] += static_cast<uint64_t>(s.i64(2));
}

}  // namespace

std::vector<LogHistogramPoint> LogTables::histogram(Db& db, const LogQuery& q, uint64_t step_s) {
  std::string fts = fts_query(q.text);
  if (!q.text.empty() && fts.empty()) return {};
  LevelCounts counts;
  const uint64_t from = q.range.from_ns, to = q.range.to_ns;
  if (fts.empty() && step_s % 60 == 0 && to > from) {
    // Whole minutes from the per-minute counts (a few rows per minute, not
    // one per entry); the partial minutes at either end from the rows.
    const uint64_t first_min = (from + kNsPerMinute - 1) / kNsPerMinute,
                   end_min = to / kNsPerMinute;
    if (first_min < end_min) {
      histogram_of_rows(db, q, fts, step_s, from, first_min * kNsPerMinute, counts);
      histogram_of_minutes(db, q, step_s, first_min, end_min, counts);
      histogram_of_rows(db, q, fts, step_s, end_min * kNsPerMinute, to, counts);
    } else {
      histogram_of_rows(db, q, fts, step_s, from, to, counts);
    }
  } else {
    histogram_of_rows(db, q, fts, step_s, from, to, counts);
  }
  return log_histogram_points(counts);
}

std::vector<LogSourceCount> LogTables::count(Db& db, const LogQuery& q) {
  std::string fts = fts_query(q.text);
  if (!q.text.empty() && fts.empty()) return {};
  Filter f = filter_of(q, fts, false);
  Stmt s(db,
         "SELECT s.node, s.namespace, s.workload, s.pod, s.container, s.file, count(*) "
         "FROM logs l JOIN log_sources s ON s.id = l.source WHERE " +
             f.sql + " GROUP BY l.source");
  f.bind(s);
  std::vector<LogSourceCount> out;
  while (s.step())
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                   static_cast<uint64_t>(s.i64(6))});
  return out;
}

uint64_t LogTables::total(Db& db) {
  Stmt s(db, "SELECT count(*) FROM logs");
  return s.step() ? static_cast<uint64_t>(s.i64(0)) : 0;
}

}  // namespace loupe::store
