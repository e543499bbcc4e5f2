#include "store/k8s_tables.h"

#include "store/sqlite_db.h"

namespace loupe::store {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS k8s_snapshots(
  id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL, collector TEXT NOT NULL,
  body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS k8s_changes(
  id INTEGER PRIMARY KEY, snapshot_id INTEGER NOT NULL, received_ns INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS k8s_changes_snapshot ON k8s_changes(snapshot_id);
CREATE TABLE IF NOT EXISTS k8s_events(
  namespace TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, container TEXT NOT NULL,
  reason TEXT NOT NULL, time_ns INTEGER NOT NULL,
  message TEXT NOT NULL, type TEXT NOT NULL, source TEXT NOT NULL,
  count INTEGER NOT NULL, exit_code INTEGER NOT NULL, first_ns INTEGER NOT NULL,
  last_ns INTEGER NOT NULL, details TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(namespace, kind, name, container, reason, time_ns)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS k8s_events_time ON k8s_events(time_ns);
)sql";

// Databases written before events had details gain the column.
void add_details_column(Db& db) {
  Stmt cols(db, "SELECT 1 FROM pragma_table_info('k8s_events') WHERE name = 'details'");
  if (!cols.step()) db.exec("ALTER TABLE k8s_events ADD COLUMN details TEXT NOT NULL DEFAULT ''");
}

}  // namespace

K8sTables::K8sTables(Db& wdb) : db_(&wdb) {
  wdb.exec(kSchema);
  add_details_column(wdb);
  insert_snapshot_ =
      Stmt(wdb, "INSERT INTO k8s_snapshots(received_ns, collector, body) VALUES(?,?,?)");
  insert_change_ =
      Stmt(wdb, "INSERT INTO k8s_changes(snapshot_id, received_ns, body) VALUES(?,?,?)");
  // A collector restart re-detects conditions it already sent: the same
  // key replaces the row (count and message may have moved on).
  upsert_event_ = Stmt(wdb,
                       "INSERT OR REPLACE INTO k8s_events(namespace, kind, name, container, "
                       "reason, time_ns, message, type, source, count, exit_code, first_ns, "
                       "last_ns, details) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  rolled_back();
}

void K8sTables::rolled_back() {
  // The latest snapshot id may have been one the transaction inserted.
  Stmt last(*db_, "SELECT max(id) FROM k8s_snapshots");
  snapshot_id_ = last.step() ? last.i64(0) : 0;
}

void K8sTables::write(const K8sIngest& in) {
  if (!in.snapshot.empty()) {
    insert_snapshot_.bind(1, i64(in.received_ns));
    insert_snapshot_.bind(2, std::string_view(in.collector));
    insert_snapshot_.bind(3, std::string_view(in.snapshot));
    insert_snapshot_.run();
    snapshot_id_ = sqlite3_last_insert_rowid(db_->get());
  }
  for (const auto& c : in.changes) {
    insert_change_.bind(1, snapshot_id_);
    insert_change_.bind(2, i64(in.received_ns));
    insert_change_.bind(3, std::string_view(c));
    insert_change_.run();
  }
  for (const auto& e : in.events) {
    int i = 1;
    for (const std::string* f : {&e.namespace_, &e.kind, &e.name, &e.container, &e.reason})
      upsert_event_.bind(i++, std::string_view(*f));
    upsert_event_.bind(i++, i64(e.time_ns));
    for (const std::string* f : {&e.message, &e.type, &e.source})
      upsert_event_.bind(i++, std::string_view(*f));
    upsert_event_.bind(i++, e.count);
    upsert_event_.bind(i++, e.exit_code);
    upsert_event_.bind(i++, i64(e.first_ns));
    upsert_event_.bind(i++, i64(e.last_ns));
    std::string details = e.details.is_object() ? e.details.dump() : std::string();
    upsert_event_.bind(i++, std::string_view(details));
    upsert_event_.run();
  }
}

void K8sTables::delete_before(uint64_t cutoff_ns) {
  Stmt changes(*db_, "DELETE FROM k8s_changes WHERE snapshot_id < ? AND received_ns < ?");
  changes.bind(1, snapshot_id_);
  changes.bind(2, i64(cutoff_ns));
  changes.run();
  Stmt snaps(*db_, "DELETE FROM k8s_snapshots WHERE id < ? AND received_ns < ?");
  snaps.bind(1, snapshot_id_);
  snaps.bind(2, i64(cutoff_ns));
  snaps.run();
  Stmt events(*db_, "DELETE FROM k8s_events WHERE time_ns < ?");
  events.bind(1, i64(cutoff_ns));
  events.run();
}

std::optional<K8sHistory> K8sTables::history(Db& db) {
  Stmt snap(db, "SELECT id, body FROM k8s_snapshots ORDER BY id DESC LIMIT 1");
  if (!snap.step()) return std::nullopt;
  K8sHistory h;
  int64_t id = snap.i64(0);
  h.snapshot = snap.text(1);
  Stmt changes(db, "SELECT body FROM k8s_changes WHERE snapshot_id = ? ORDER BY id");
  changes.bind(1, id);
  while (changes.step()) h.changes.push_back(changes.text(0));
  return h;
}

std::vector<ClusterEvent> K8sTables::events(Db& db, const EventQuery& q) {
  std::string sql =
      "SELECT namespace, kind, name, container, reason, time_ns, message, type, source, count, "
      "exit_code, first_ns, last_ns, details FROM k8s_events WHERE time_ns >= ? AND time_ns < ?";
  if (q.namespace_) sql += " AND namespace = ?";
  if (q.object) sql += " AND name = ?";
  if (q.reason) sql += " AND reason = ?";
  if (q.type) sql += " AND type = ?";
  sql += " ORDER BY time_ns DESC LIMIT ?";
  Stmt s(db, sql);
  int i = 1;
  s.bind(i++, i64(q.range.from_ns));
  s.bind(i++, i64(q.range.to_ns));
  for (const auto* f : {&q.namespace_, &q.object, &q.reason, &q.type})
    if (*f) s.bind(i++, std::string_view(**f));
  s.bind(i++, static_cast<int64_t>(q.limit));
  std::vector<ClusterEvent> out;
  while (s.step()) {
    ClusterEvent e;
    int c = 0;
    for (std::string* f : {&e.namespace_, &e.kind, &e.name, &e.container, &e.reason})
      *f = s.text(c++);
    e.time_ns = static_cast<uint64_t>(s.i64(c++));
    for (std::string* f : {&e.message, &e.type, &e.source}) *f = s.text(c++);
    e.count = s.i64(c++);
    e.exit_code = s.i64(c++);
    e.first_ns = static_cast<uint64_t>(s.i64(c++));
    e.last_ns = static_cast<uint64_t>(s.i64(c++));
    if (std::string details = s.text(c++); !details.empty())
      e.details = nlohmann::json::parse(details, nullptr, /*allow_exceptions=*/false);
    if (e.details.is_discarded()) e.details = nullptr;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace loupe::store
