// Log entries in the store (docs/logs.md, "Storage"):
//   log_sources(id, node, source, file, namespace, pod, container, workload, pod_uid)
//              one row per file content an agent read; entries name it by id
//   logs(id, source, pos, time_ns, level, stream, truncated)
//              one row per entry; (source, pos) is unique, so an entry an
//              agent sends again is stored once
//   logs_text  an FTS5 table holding each entry's text under the entry's id:
//              full-text search without keeping the text twice
//   log_patterns(id, text, level, first_seen_ns, example)
//              the pattern miner's patterns (logs/pattern_miner.h); an
//              entry names its pattern in logs.pattern
//   log_pattern_minutes(pattern, minute, source, level, count)
//              entries per pattern per minute per source (so per pod,
//              container, workload) and level: pattern counts without
//              scanning the entries
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "logs/log_entry.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class LogTables {
 public:
  LogTables() = default;
  explicit LogTables(Db& wdb);  // creates the tables, prepares statements

  // Inside the caller's transaction; call rolled_back() if it is undone.
  // Returns the entries stored (repeats skipped).
  uint64_t write(const std::vector<logs::Entry>& entries);
  void rolled_back() { sources_.clear(); }
  uint64_t delete_before(uint64_t cutoff_ns);                       // returns the entries deleted
  void write_patterns(const std::vector<logs::Pattern>& patterns);  // in a transaction

  static std::vector<StoredLog> query(Db& db, const LogQuery& q);
  static std::vector<LogHistogramPoint> histogram(Db& db, const LogQuery& q, uint64_t step_s);
  static std::vector<LogSourceCount> count(Db& db, const LogQuery& q);
  static uint64_t total(Db& db);
  static std::vector<logs::Pattern> all_patterns(Db& db);
  static std::vector<LogPatternRow> patterns(Db& db, const LogPatternQuery& q);

  // `text` as an FTS5 query: each word quoted (so no word is syntax), all
  // required; a trailing '*' kept as a prefix match. Empty when no word.
  static std::string fts_query(std::string_view text);

 private:
  struct SourceRow {
    int64_t id;
    std::string workload;
  };
  int64_t source_id(const logs::Entry& e);

  Db* db_ = nullptr;
  Stmt insert_source_, select_source_, update_workload_, insert_log_, insert_text_;
  Stmt count_pattern_, upsert_pattern_;
  std::unordered_map<std::string, SourceRow> sources_;  // key: node \0 source
};

}  // namespace loupe::store
