// SqliteStore: the embedded Store. One file <data_dir>/loupe.db in WAL mode;
// one writer (the ingest thread) and a small pool of read connections for API
// queries, which WAL lets run concurrently with the writer. Schema and
// rationale: docs/storage.md.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <tuple>

#include "core/burst_yield.h"
#include "core/same_text.h"
#include "core/text_hash.h"
#include "core/time_format.h"
#include "store/ingest_ledger.h"
#include "store/k8s_tables.h"
#include "store/legacy_requests.h"
#include "store/log_tables.h"
#include "store/loss_rows.h"
#include "store/metric_tables.h"
#include "store/pair_rollup.h"
#include "store/profile_tables.h"
#include "store/query_window.h"
#include "store/record_cursor.h"
#include "store/request_chunk_queries.h"
#include "store/request_chunks.h"
#include "store/rollup.h"
#include "store/rollup_answers.h"
#include "store/rollup_rows.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/wal_write_buffer.h"

namespace loupe::store {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS minute_agg(
  service TEXT NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL, protocol INTEGER NOT NULL,
  counted INTEGER NOT NULL, minute INTEGER NOT NULL,
  count INTEGER NOT NULL, errors INTEGER NOT NULL, sum_ns INTEGER NOT NULL, sketch BLOB NOT NULL,
  PRIMARY KEY(service, route, method, protocol, counted, minute)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS minute_agg_time ON minute_agg(minute);
CREATE TABLE IF NOT EXISTS services(
  name TEXT NOT NULL, kind TEXT NOT NULL, port INTEGER NOT NULL, ip TEXT NOT NULL,
  PRIMARY KEY(name, port)) WITHOUT ROWID;
)sql";

class SqliteStore : public Store {
 public:
  SqliteStore(const std::string& data_dir, StoreOptions options);

  void write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) override;
  ResolverSeed resolver_seed() override;
  uint64_t seed_generation() override { return seed_generation_.load(); }
  bool has_batch(const BatchKey& key) override;
  std::vector<HeldBatch> held_batches() override;
  void write_losses(const std::vector<LossMinute>& losses) override;
  std::vector<LossMinute> losses(const TimeRange& range) override;
  std::vector<ServiceSummary> services(const ServicesQuery& q) override;
  std::vector<EndpointSummary> endpoints(const std::optional<std::string>& service,
                                         const TimeRange& range) override;
  std::vector<LatencyPoint> latency(const LatencyQuery& q) override;
  std::vector<StoredRequest> requests(const RequestQuery& q) override;
  uint64_t count_requests(const RequestQuery& q, uint64_t at_most) override;
  std::optional<StoredRequest> request(int64_t id) override;
  StoreStats stats() override;
  uint64_t enforce_retention(uint64_t now_ns) override;
  std::vector<MapEdge> map(const TimeRange& range) override;
  std::vector<WorkloadSummary> workloads(const TimeRange& range) override;
  std::vector<PodSummary> pods(const std::optional<std::string>& workload,
                               const TimeRange& range) override;
  void write_k8s(const K8sIngest& in) override;
  void write_events(const std::vector<ClusterEvent>& events) override;
  std::optional<K8sHistory> k8s_history() override;
  std::vector<ClusterEvent> events(const EventQuery& q) override;
  void write_metrics(const std::vector<MetricSample>& samples) override;
  std::vector<MetricPoint> metrics(const MetricQuery& q) override;
  std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery& q) override;
  uint64_t write_logs(const std::vector<logs::Entry>& entries) override;
  std::vector<StoredLog> logs(const LogQuery& q) override;
  std::vector<LogHistogramPoint> log_histogram(const LogQuery& q, uint64_t step_s) override;
  std::vector<LogSourceCount> count_logs(const LogQuery& q) override;
  void write_log_patterns(const std::vector<logs::Pattern>& patterns) override;
  std::vector<logs::Pattern> all_log_patterns() override;
  std::vector<LogPatternRow> log_patterns(const LogPatternQuery& q) override;
  uint64_t write_profiles(const std::vector<ProfileMinute>& minutes,
                          const std::optional<BatchKey>& key) override;
  ProfileStacks profile(const ProfileQuery& q) override;

 private:
  // A read connection borrowed from the pool for one query.
  class Reader {
   public:
    Reader(SqliteStore& s, std::unique_ptr<Db> db) : store_(s), db_(std::move(db)) {}
    ~Reader() {
      std::lock_guard lock(store_.pool_mu_);
      store_.pool_.push_back(std::move(db_));
    }
    Db& db() { return *db_; }

   private:
    SqliteStore& store_;
    std::unique_ptr<Db> db_;
  };
  Reader reader();
  // Writes the rollup cells that changed this round, forgets the others
  // (store/rollup_rows.h).
  void flush_rollup();
  // Forgets every kept rollup cell: their rows were deleted or rolled back.
  void forget_rollup_cells();
  // Dictionary id for a name, inserting it when new: request chunks hold
  // their service's, and the writer's rollup keys compare these small
  // integers instead of strings.
  int64_t name_id(std::string_view name);
  // Reloads the name ids the writer keeps in memory from the table.
  void load_name_ids();
  // Drops names and services no stored row uses (retention's slow part).
  void sweep_unused_names();

  std::string path_;
  StoreOptions options_;

  std::mutex write_mu_;  // write_batch and enforce_retention
  Db wdb_;
  RollupStatements agg_;  // minute_agg's
  Stmt insert_service_, insert_name_;
  // write_batch's transaction, prepared once: sqlite3_exec parsed "BEGIN"
  // and "COMMIT" again every round, 1.2% of the writer's samples at a
  // paced load (docs/benchmarks.md, "BEGIN and COMMIT prepared").
  Stmt begin_, commit_;
  // Looked up by string_view: name_id runs several times per record.
  TextMap<int64_t> name_ids_;
  ChunkWriter chunks_;
  // write_batch's raw rows; kept with its capacity across batches so each
  // is built in memory already faulted in.
  std::vector<ChunkRow> rows_;
  // minute_agg's cells, kept from round to round while they get records
  // (store/rollup_rows.h).
  Rollup rollup_;
  // write_batch's rollup entry of each label set (ResolvedRecord::labels)
  // and the minute it is for; kept with its capacity like rows_.
  struct LabelCell {
    RollupEntry* entry = nullptr;  // a node of rollup_
    uint64_t minute = 0;
  };
  std::vector<LabelCell> label_cells_;
  PairRollup edges_;    // edge_agg: caller -> callee, for /map
  PairRollup k8s_agg_;  // k8s_agg: workload -> pod, for /workloads and /pods
  K8sTables k8s_;
  MetricTables metrics_;
  IngestLedger ledger_;
  LogTables log_tables_;
  ProfileTables profiles_;
  uint64_t next_sweep_ns_ = 0;
  std::atomic<uint64_t> seed_generation_{0};

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Db>> pool_;

  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> metric_samples_skipped_{0};
  std::atomic<uint64_t> logs_stored_{0};
};

SqliteStore::SqliteStore(const std::string& data_dir, StoreOptions options)
    : path_((std::filesystem::path(data_dir) / "loupe.db").string()), options_(options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) throw StoreError("cannot create " + data_dir + ": " + ec.message() + "; pass --data-dir");
  try {
    // The writer's WAL frames go out a transaction at a time
    // (store/wal_write_buffer.h); the readers write no frames.
    wdb_ = Db(path_, wal_write_buffer_vfs());
  } catch (const StoreError& e) {
    throw StoreError(std::string(e.what()) + "; check permissions or pass --data-dir");
  }
  // SQLite's default 4 KiB pages: 32 KiB pages saved ~6% of the writer's
  // CPU per record but made day-wide dashboard queries 3-4x slower through
  // the readers' 2 MiB caches (docs/benchmarks.md, "SQLite's own cost per
  // record"), and larger reader caches cost memory per pooled connection.
  wdb_.exec("PRAGMA journal_mode=WAL");
  // NORMAL in WAL mode: a power loss can drop the last transactions but never
  // corrupts the database; FULL would fsync every batch.
  wdb_.exec("PRAGMA synchronous=NORMAL");
  // 4 MiB: the writer's page cache is heap of `loupe run` and `loupe
  // server`, filled up to its size once the database passes it (a quiet
  // saturated `loupe run` writes ~2 MB a second). 16 MiB held 13 MiB more
  // at 1M records (a 19 MB database) for no CPU: store_bench's writer, 200
  // endpoints, 2.02-2.24 µs a record against 2.35-2.51 with 16 MiB,
  // alternating (docs/benchmarks.md, "issue 14, runrss4"); 64 MiB was no
  // faster than 16 either (bench/store_bench.sh --ab).
  wdb_.exec("PRAGMA cache_size=-4096");
  wdb_.exec("PRAGMA temp_store=MEMORY");
  // The WAL grows to the largest transaction (a 50k-record batch) and
  // SQLite keeps it at that size; trim it back after checkpoints.
  wdb_.exec("PRAGMA journal_size_limit=33554432");
  wdb_.exec(kSchema);
  wdb_.exec(kChunkSchema);
  wdb_.exec(kLossSchema);
  wdb_.exec(kLedgerSchema);
  edges_ = PairRollup(wdb_, "edge_agg");
  k8s_agg_ = PairRollup(wdb_, "k8s_agg");
  k8s_ = K8sTables(wdb_);
  metrics_ = MetricTables(wdb_);
  ledger_ = IngestLedger(wdb_);
  log_tables_ = LogTables(wdb_);
  profiles_ = ProfileTables(wdb_);

  const char* agg_key =
      " WHERE service=?5 AND route=?6 AND method=?7 AND protocol=?8 AND counted=?9 AND minute=?10";
  agg_.select =
      Stmt(wdb_, std::string("SELECT count, errors, sum_ns, sketch FROM minute_agg") + agg_key);
  agg_.insert =
      Stmt(wdb_,
           "INSERT OR REPLACE INTO minute_agg(count, errors, sum_ns, sketch, service, "
           "route, method, protocol, counted, minute) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  agg_.update = Stmt(wdb_, std::string("UPDATE minute_agg SET count=?1, errors=?2, sum_ns=?3, "
                                       "sketch=?4") +
                               agg_key);
  insert_service_ =
      Stmt(wdb_, "INSERT OR IGNORE INTO services(name, kind, port, ip) VALUES(?,?,?,?)");

  insert_name_ = Stmt(wdb_, "INSERT INTO names(name) VALUES(?)");
  begin_ = Stmt(wdb_, "BEGIN");
  commit_ = Stmt(wdb_, "COMMIT");
  chunks_ = ChunkWriter(wdb_);
  convert_legacy_requests(wdb_, chunks_);
  load_name_ids();
  records_ = ChunkWriter::total(wdb_);
  logs_stored_ = LogTables::total(wdb_);
}

void SqliteStore::load_name_ids() {
  name_ids_.clear();
  Stmt names(wdb_, "SELECT id, name FROM names");
  while (names.step()) name_ids_.emplace(names.text(1), names.i64(0));
}

void SqliteStore::sweep_unused_names() {
  wdb_.exec(
      "DELETE FROM services WHERE NOT EXISTS "
      "(SELECT 1 FROM minute_agg WHERE minute_agg.service = services.name)");
  wdb_.exec("DELETE FROM names WHERE id NOT IN (SELECT service_id FROM request_chunks)");
  load_name_ids();
  ++seed_generation_;
}

SqliteStore::Reader SqliteStore::reader() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto db = std::move(pool_.back());
      pool_.pop_back();
      return Reader(*this, std::move(db));
    }
  }
  auto db = std::make_unique<Db>(path_);
  db->exec("PRAGMA query_only=1");
  return Reader(*this, std::move(db));
}

void SqliteStore::write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) {
  if (batch.rows.empty() && !book) return;
  std::lock_guard lock(write_mu_);
  std::vector<ChunkRow>& rows = rows_;
  rows.clear();
  rows.reserve(batch.rows.size());
  Rollup& rollup = rollup_;
  begin_.run();
  try {
    for (const ServiceRegistration& s : batch.new_services) {
      insert_service_.bind(1, std::string_view(s.name));
      insert_service_.bind(2, std::string_view(s.kind));
      insert_service_.bind(3, int64_t{s.port});
      insert_service_.bind(4, std::string_view(s.ip));
      insert_service_.run();
    }
    // Rows come in runs of one connection (server side first), so most
    // rows have the last row's service: compared, those skip the name
    // ids' hash lookup. A row's rollup cell is its label set's
    // (ResolvedRecord::labels) of this minute: the name ids' and the
    // rollup's lookups are made once per set and minute.
    const std::string* last_service = nullptr;
    int64_t service_id = 0;
    std::vector<LabelCell>& cells = label_cells_;
    cells.assign(batch.label_sets + 1, {});
    RecordCursor records(batch.records);
    for (const ResolvedRecord& row : batch.rows) {
      burst_point();  // the writer's (core/burst_yield.h)
      const Record& r = records[row.index];
      const ServiceIdentity& id = *row.service;
      const CallerIdentity& caller = *row.caller;
      if (caller.counted) edges_.add(caller.name, caller.kind, id.name, id.kind, r);
      if (row.workload_served) k8s_agg_.add(id.name, id.kind, row.pod, "pod", r);
      // The resolver shares one identity between connections named alike:
      // the same object is the same name.
      if (last_service != &id.name && (!last_service || !same_text(*last_service, id.name)))
        service_id = name_id(id.name);
      last_service = &id.name;
      rows.push_back({&r, row.route, caller.name, id.counted, service_id, r.start_ns,
                      r.duration_ns(), row.connection});
      uint64_t minute = minute_of(r.start_ns);
      LabelCell& cell = cells[row.labels];  // 0: not known, looked up every time
      if (!cell.entry || cell.minute != minute || row.labels == 0) {
        RollupKey key{service_id, name_id(r.method), name_id(row.route),
                      r.protocol, id.counted,        minute};
        auto [it, created] = rollup.try_emplace(key);
        if (created) {
          it->second.service = id.name;
          it->second.method = r.method;
          it->second.route = row.route;
        }
        cell = {&it->second, minute};
      }
      cell.entry->kept.add(r);
    }
    chunks_.write(rows);
    flush_rollup();
    edges_.flush();
    k8s_agg_.flush();
    if (book) ledger_.add(*book, now_unix_ns());
    commit_.run();
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    forget_rollup_cells();
    // Ids handed out in the rolled-back transaction no longer exist.
    load_name_ids();
    throw;
  }
  records_ += batch.rows.size();
}

ResolverSeed SqliteStore::resolver_seed() {
  std::lock_guard lock(write_mu_);
  ResolverSeed seed;
  Stmt known(wdb_, "SELECT name, kind, port, ip FROM services");
  while (known.step())
    seed.services.push_back(
        {known.text(0), known.text(1), static_cast<uint16_t>(known.i64(2)), known.text(3)});
  Stmt routes(wdb_, "SELECT DISTINCT service, route FROM minute_agg");
  while (routes.step()) seed.routes.emplace_back(routes.text(0), routes.text(1));
  return seed;
}

bool SqliteStore::has_batch(const BatchKey& key) {
  std::lock_guard lock(write_mu_);
  return ledger_.has(key);
}

std::vector<HeldBatch> SqliteStore::held_batches() {
  auto rd = reader();
  return IngestLedger::held(rd.db());
}

void SqliteStore::write_losses(const std::vector<LossMinute>& losses) {
  if (losses.empty()) return;
  std::lock_guard lock(write_mu_);
  wdb_.exec("BEGIN");
  try {
    add_losses(wdb_, losses);
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<LossMinute> SqliteStore::losses(const TimeRange& range) {
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(range);
  return query_losses(rd.db(), from_m, to_m);
}

int64_t SqliteStore::name_id(std::string_view name) {
  if (auto it = name_ids_.find(name); it != name_ids_.end()) return it->second;
  insert_name_.bind(1, name);
  insert_name_.run();
  int64_t id = sqlite3_last_insert_rowid(wdb_.get());
  name_ids_.emplace(name, id);
  return id;
}

void SqliteStore::flush_rollup() {
  write_changed_cells(rollup_, [this](const RollupKey& key, RollupEntry& entry) {
    write_kept_cell(
        wdb_, agg_, entry.kept,
        [&key, &entry](Stmt& s) {
          s.bind(5, std::string_view(entry.service));
          s.bind(6, std::string_view(entry.route));
          s.bind(7, std::string_view(entry.method));
          s.bind(8, int64_t{static_cast<uint8_t>(key.protocol)});
          s.bind(9, int64_t{key.counted});
          s.bind(10, i64(key.minute_s));
        },
        [](Stmt&) {});
  });
}

void SqliteStore::forget_rollup_cells() {
  rollup_.clear();
  edges_.forget();
  k8s_agg_.forget();
}

std::vector<ServiceSummary> SqliteStore::services(const ServicesQuery& q) {
  auto rd = reader();
  ServicesFold fold(q);
  Stmt known(rd.db(), "SELECT name, kind, port FROM services");
  while (known.step())
    fold.registered(known.text(0), known.text(1), static_cast<uint16_t>(known.i64(2)));
  auto [from_m, to_m] = minute_bounds(q.range);
  Stmt agg(rd.db(),
           "SELECT service, count, errors, sketch, minute FROM minute_agg "
           "WHERE minute >= ? AND minute < ? AND counted = 1");
  agg.bind(1, from_m);
  agg.bind(2, to_m);
  while (agg.step())
    fold.add(agg.text(0), {static_cast<uint64_t>(agg.i64(1)), static_cast<uint64_t>(agg.i64(2)),
                           agg.blob(3), agg.i64(4)});
  return fold.finish();
}

std::vector<EndpointSummary> SqliteStore::endpoints(const std::optional<std::string>& service,
                                                    const TimeRange& range) {
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(range);
  Stmt agg(rd.db(),
           std::string("SELECT service, method, route, protocol, count, errors, sketch, minute "
                       "FROM minute_agg WHERE minute >= ? AND minute < ? AND counted = 1") +
               (service ? " AND service = ?" : ""));
  agg.bind(1, from_m);
  agg.bind(2, to_m);
  if (service) agg.bind(3, std::string_view(*service));
  EndpointsFold fold;
  while (agg.step())
    fold.add(agg.text(0), agg.text(1), agg.text(2), static_cast<Protocol>(agg.i64(3)),
             {static_cast<uint64_t>(agg.i64(4)), static_cast<uint64_t>(agg.i64(5)), agg.blob(6),
              agg.i64(7)});
  return fold.finish(range);
}

std::vector<LatencyPoint> SqliteStore::latency(const LatencyQuery& q) {
  if (q.step_s == 0 || q.range.to_ns <= q.range.from_ns) return {};
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(q.range);
  std::string sql =
      "SELECT minute, errors, sketch FROM minute_agg WHERE service = ? AND counted = 1 "
      "AND minute >= ? AND minute < ?";
  if (q.route) sql += " AND route = ?";
  if (q.method) sql += " AND method = ?";
  Stmt agg(rd.db(), sql);
  int i = 1;
  agg.bind(i++, std::string_view(q.service));
  agg.bind(i++, from_m);
  agg.bind(i++, to_m);
  if (q.route) agg.bind(i++, std::string_view(*q.route));
  if (q.method) agg.bind(i++, std::string_view(*q.method));
  LatencyFold fold(q);
  while (agg.step()) fold.add({0, static_cast<uint64_t>(agg.i64(1)), agg.blob(2), agg.i64(0)});
  return fold.finish();
}

std::vector<StoredRequest> SqliteStore::requests(const RequestQuery& q) {
  auto rd = reader();
  return query_chunked_requests(rd.db(), q);
}

uint64_t SqliteStore::count_requests(const RequestQuery& q, uint64_t at_most) {
  auto rd = reader();
  return count_chunked_requests(rd.db(), q, at_most);
}

std::optional<StoredRequest> SqliteStore::request(int64_t id) {
  auto rd = reader();
  return chunked_request(rd.db(), id);
}

StoreStats SqliteStore::stats() {
  StoreStats st;
  st.records_stored = records_.load();
  st.metric_samples_skipped = metric_samples_skipped_.load();
  st.logs_stored = logs_stored_.load();
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    auto size = std::filesystem::file_size(path_ + suffix, ec);
    if (!ec) st.store_size_bytes += size;
  }
  return st;
}

uint64_t SqliteStore::enforce_retention(uint64_t now_ns) {
  std::lock_guard lock(write_mu_);
  // Raw metric samples go after their own (shorter) retention even when the
  // rest is kept for ever; their minute rollups live as long as records.
  uint64_t raw_retention = options_.metrics_raw_retention_ns;
  if (options_.retention_ns) raw_retention = std::min(raw_retention, options_.retention_ns);
  uint64_t keep = options_.retention_ns;
  metrics_.delete_before(now_ns > raw_retention ? now_ns - raw_retention : 0,
                         keep && now_ns > keep ? now_ns - keep : 0);
  if (now_ns > kBatchKeyKeepNs) ledger_.forget_before(now_ns - kBatchKeyKeepNs);
  if (options_.retention_ns == 0 || now_ns <= options_.retention_ns) return 0;
  uint64_t cutoff = now_ns - options_.retention_ns;
  uint64_t logs_deleted = log_tables_.delete_before(cutoff);
  logs_stored_ -= std::min<uint64_t>(logs_deleted, logs_stored_.load());
  uint64_t deleted = chunks_.delete_before(cutoff);
  // Only whole minutes that ended before the cutoff go, so a partially
  // expired minute still answers for the part that is within retention.
  forget_rollup_cells();  // the rows of some may go
  Stmt del_agg(wdb_, "DELETE FROM minute_agg WHERE minute + 60 <= ?");
  del_agg.bind(1, static_cast<int64_t>(cutoff / 1'000'000'000ULL));
  del_agg.run();
  edges_.delete_before(static_cast<int64_t>(cutoff / 1'000'000'000ULL));
  k8s_agg_.delete_before(static_cast<int64_t>(cutoff / 1'000'000'000ULL));
  k8s_.delete_before(cutoff);
  delete_losses_before(wdb_, static_cast<int64_t>(cutoff / 1'000'000'000ULL));
  profiles_.delete_before(static_cast<int64_t>(cutoff / 1'000'000'000ULL));
  records_ -= std::min<uint64_t>(deleted, records_.load());
  // Finding unused names scans the chunks' service index: hourly, not every pass.
  if (now_ns >= next_sweep_ns_) {
    sweep_unused_names();
    profiles_.sweep_unused();
    next_sweep_ns_ = now_ns + 3600ULL * 1'000'000'000ULL;
  }
  return deleted;
}

std::vector<MapEdge> SqliteStore::map(const TimeRange& range) {
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(range);
  PairFold fold(false);
  PairRollup::query(rd.db(), "edge_agg", from_m, to_m, {}, fold);
  return fold.edges(range);
}

std::vector<WorkloadSummary> SqliteStore::workloads(const TimeRange& range) {
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(range);
  PairFold fold(true);
  PairRollup::query(rd.db(), "k8s_agg", from_m, to_m, {}, fold);
  return fold.workloads(range);
}

std::vector<PodSummary> SqliteStore::pods(const std::optional<std::string>& workload,
                                          const TimeRange& range) {
  auto rd = reader();
  auto [from_m, to_m] = minute_bounds(range);
  PairFold fold(false);
  PairRollup::query(rd.db(), "k8s_agg", from_m, to_m, workload, fold);
  return fold.pods(range);
}

void SqliteStore::write_k8s(const K8sIngest& in) {
  std::lock_guard lock(write_mu_);
  wdb_.exec("BEGIN");
  try {
    k8s_.write(in);
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    k8s_.rolled_back();
    throw;
  }
}

void SqliteStore::write_events(const std::vector<ClusterEvent>& events) {
  if (events.empty()) return;
  K8sIngest in;
  in.events = events;
  write_k8s(in);
}

std::optional<K8sHistory> SqliteStore::k8s_history() {
  auto rd = reader();
  return K8sTables::history(rd.db());
}

std::vector<ClusterEvent> SqliteStore::events(const EventQuery& q) {
  auto rd = reader();
  return K8sTables::events(rd.db(), q);
}

void SqliteStore::write_metrics(const std::vector<MetricSample>& samples) {
  if (samples.empty()) return;
  std::lock_guard lock(write_mu_);
  wdb_.exec("BEGIN");
  try {
    metrics_.write(samples);
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    metrics_.rolled_back();
    throw;
  }
  metric_samples_skipped_ = metrics_.skipped();
}

std::vector<MetricPoint> SqliteStore::metrics(const MetricQuery& q) {
  auto rd = reader();
  return MetricTables::query(rd.db(), q);
}

std::vector<MetricSeriesInfo> SqliteStore::metric_series(const MetricSeriesQuery& q) {
  auto rd = reader();
  return MetricTables::series(rd.db(), q);
}

uint64_t SqliteStore::write_logs(const std::vector<logs::Entry>& entries) {
  if (entries.empty()) return 0;
  std::lock_guard lock(write_mu_);
  wdb_.exec("BEGIN");
  uint64_t stored = 0;
  try {
    stored = log_tables_.write(entries);
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    log_tables_.rolled_back();
    throw;
  }
  logs_stored_ += stored;
  return stored;
}

std::vector<StoredLog> SqliteStore::logs(const LogQuery& q) {
  auto rd = reader();
  return LogTables::query(rd.db(), q);
}

std::vector<LogHistogramPoint> SqliteStore::log_histogram(const LogQuery& q, uint64_t step_s) {
  auto rd = reader();
  return LogTables::histogram(rd.db(), q, step_s);
}

std::vector<LogSourceCount> SqliteStore::count_logs(const LogQuery& q) {
  auto rd = reader();
  return LogTables::count(rd.db(), q);
}

void SqliteStore::write_log_patterns(const std::vector<logs::Pattern>& patterns) {
  if (patterns.empty()) return;
  std::lock_guard lock(write_mu_);
  wdb_.exec("BEGIN");
  try {
    log_tables_.write_patterns(patterns);
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<logs::Pattern> SqliteStore::all_log_patterns() {
  auto rd = reader();
  return LogTables::all_patterns(rd.db());
}

std::vector<LogPatternRow> SqliteStore::log_patterns(const LogPatternQuery& q) {
  auto rd = reader();
  return LogTables::patterns(rd.db(), q);
}

uint64_t SqliteStore::write_profiles(const std::vector<ProfileMinute>& minutes,
                                     const std::optional<BatchKey>& key) {
  if (minutes.empty()) return 0;
  std::lock_guard lock(write_mu_);
  if (key && ledger_.has(*key)) return 0;  // a part sent again: added once
  wdb_.exec("BEGIN");
  uint64_t stored = 0;
  try {
    stored = profiles_.write(minutes);
    if (key) ledger_.add(IngestBookkeeping{{*key}, {}, {}}, now_unix_ns());
    wdb_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    profiles_.rolled_back();
    throw;
  }
  return stored;
}

ProfileStacks SqliteStore::profile(const ProfileQuery& q) {
  auto rd = reader();
  return ProfileTables::query(rd.db(), q);
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& data_dir, StoreOptions options) {
  return std::make_unique<SqliteStore>(data_dir, options);
}

}  // namespace loupe::store
