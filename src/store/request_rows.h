// One raw exchange as a row of the `requests` table: the column lists, the
// time key that is its rowid, and binding / reading a row. Schema and
// rationale: docs/storage.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/record.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

inline int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

// Insert and select lists share one order; the select maps the service and
// route ids back to names.
inline constexpr const char* kInsertColumns =
    "id, start_ns, end_ns, duration_ns, service_id, counted, protocol, role, tls, pid, comm, "
    "local_addr, remote_addr, method, path, route_id, host, status, error, error_code, "
    "error_message, detail, trace_id, req_bytes, resp_bytes, k8s, caller, tid";
// How many columns kInsertColumns names (the parameters of one row).
inline constexpr int kInsertColumnCount = [] {
  int n = 1;
  for (const char* c = kInsertColumns; *c; ++c) n += *c == ',';
  return n;
}();
// "INSERT ... VALUES(?,...),(?,...)" for `rows` rows of kInsertColumns.
std::string insert_requests_sql(int rows, const char* verb = "INSERT");
inline constexpr const char* kSelectColumns =
    "id, start_ns, end_ns, duration_ns, (SELECT name FROM names WHERE id = service_id), counted, "
    "protocol, role, tls, pid, comm, local_addr, remote_addr, method, path, "
    "(SELECT name FROM names WHERE id = route_id), host, status, error, error_code, "
    "error_message, detail, "
    "trace_id, req_bytes, resp_bytes, k8s, caller, tid";

// Raw rows are keyed by time: rowid = start in microseconds << 10, plus a
// sequence number for rows starting in the same microsecond. The rowid
// b-tree is then the time index (range scans, newest-first, retention
// deletes), which saves a secondary index and ~10% of ingest CPU. 10 bits
// of sequence keep the key in int64 until the year 2255.
inline constexpr int kSeqBits = 10;
inline int64_t time_key(uint64_t ns) {
  constexpr uint64_t kMaxUs = static_cast<uint64_t>(INT64_MAX) >> kSeqBits;
  return static_cast<int64_t>(std::min(ns / 1000, kMaxUs) << kSeqBits);
}

// Binds all kInsertColumns of `r` from parameter `first` on (1 for a
// one-row INSERT; 1 + k * kInsertColumnCount for row k of a multi-row one).
// `caller`: who made the call (store/caller_identity.h), empty when unknown.
void bind_record(Stmt& s, int first, const Record& r, int64_t key, bool counted, int64_t service_id,
                 int64_t route_id, std::string_view caller);
// Reads a row selected with kSelectColumns.
StoredRequest read_record(const Stmt& s);

}  // namespace loupe::store
