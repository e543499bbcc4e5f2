// Thin RAII wrappers over the SQLite C API: just enough to prepare once, bind,
// step and read columns without leaking handles or ignoring error codes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace loupe::store {

// SQLite integers are signed 64-bit; the store's times, durations and
// counts are unsigned and far below 2^63.
inline int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

class Db {
 public:
  Db() = default;
  // Opens (creating) `path` through the VFS named `vfs` (nullptr: the
  // default); throws StoreError with `path` in the message.
  explicit Db(const std::string& path, const char* vfs = nullptr);
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  void exec(const char* sql);  // throws StoreError
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Db& db, std::string_view sql);  // throws StoreError
  Stmt(Stmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Binds are 1-based like SQLite. bind() does not copy: the text must
  // outlive the next step().
  void bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(st_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_copy(int i, std::string_view v) {  // for text that dies before step()
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_null(int i) { sqlite3_bind_null(st_, i); }

  bool step();  // true: a row is ready; false: done. Throws on error.
  void run() {  // step a statement that returns no rows, then reset
    step();
    reset();
  }
  // Steps once and resets; returns the SQLite result code instead of
  // throwing, for callers that handle a specific failure (constraints).
  int try_run() {
    int rc = sqlite3_step(st_);
    sqlite3_reset(st_);
    return rc;
  }
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }

  int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
  double f64(int col) const { return sqlite3_column_double(st_, col); }
  std::string text(int col) const;
  std::string_view blob(int col) const;

 private:
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace loupe::store
