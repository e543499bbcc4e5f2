#include "store/sqlite_db.h"

#include "store/store.h"

namespace loupe::store {

namespace {

// Process-wide settings, before the first connection initialises SQLite.
// Memory statistics off: with them on, every sqlite3_malloc and free takes
// a global mutex to keep counters nobody here reads (SQLite's own
// recommendation for speed). Later calls fail harmlessly once SQLite has
// been initialised; nothing else in the process opens SQLite first.
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Db::Db(const std::string& path, const char* vfs) {
  configure_sqlite_once();
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open " + path + ": " + msg);
  }
  // Readers and the writer share the file; wait rather than fail on a lock.
  sqlite3_busy_timeout(db_, 5000);
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    sqlite3_close(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() { sqlite3_close(db_); }

void Db::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite: " + msg + " (in: " + std::string(sql).substr(0, 60) + ")");
  }
}

Stmt::Stmt(const Db& db, std::string_view sql) {
  if (sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &st_, nullptr) != SQLITE_OK)
    throw StoreError(std::string("sqlite prepare: ") + sqlite3_errmsg(db.get()));
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(st_);
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

bool Stmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(sqlite3_db_handle(st_));
  sqlite3_reset(st_);
  throw StoreError("sqlite: " + msg);
}

std::string Stmt::text(int col) const {
  auto* p = sqlite3_column_text(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string_view Stmt::blob(int col) const {
  auto* p = sqlite3_column_blob(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

}  // namespace loupe::store
