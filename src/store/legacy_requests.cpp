#include "store/legacy_requests.h"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace loupe::store {

namespace {

// Rows converted per transaction, and the size from which the conversion
// says on stderr how far it got (a few seconds per million rows).
constexpr int64_t kRowsPerBatch = 50'000;
constexpr int64_t kReportFrom = 200'000;

constexpr const char* kSelectColumns =
    "id, start_ns, end_ns, service_id, counted, protocol, role, tls, pid, comm, local_addr, "
    "remote_addr, method, path, (SELECT name FROM names WHERE id = route_id), host, status, "
    "error, error_code, error_message, detail, trace_id, req_bytes, resp_bytes, k8s, caller, tid";

// The ten Kubernetes fields were one column, unit-separator joined.
void unpack_k8s(std::string_view packed, Record& r) {
  PodIdentity local, remote;
  for (std::string* f : identity_fields(local, remote)) {
    auto end = packed.find('\x1f');
    if (end == std::string_view::npos) break;
    f->assign(packed.substr(0, end));
    packed.remove_prefix(end + 1);
  }
  r.local_identity = intern(local);
  r.remote_identity = intern(remote);
}

// One old row: the record (route: the resolved one) and its notes.
struct LegacyRow {
  int64_t id = 0, service_id = 0;
  Record record;
  std::string caller;
  bool counted = true;
};

LegacyRow read_row(const Stmt& s) {
  LegacyRow out;
  Record& r = out.record;
  int i = 0;
  out.id = s.i64(i++);
  r.start_ns = static_cast<uint64_t>(s.i64(i++));
  r.end_ns = static_cast<uint64_t>(s.i64(i++));
  out.service_id = s.i64(i++);
  out.counted = s.i64(i++) != 0;
  r.protocol = static_cast<Protocol>(s.i64(i++));
  r.role = static_cast<Role>(s.i64(i++));
  r.tls = s.i64(i++) != 0;
  r.pid = static_cast<uint32_t>(s.i64(i++));
  for (std::string* f :
       {&r.comm, &r.local_addr, &r.remote_addr, &r.method, &r.path, &r.route, &r.host})
    *f = s.text(i++);
  r.status = static_cast<int>(s.i64(i++));
  r.error = s.i64(i++) != 0;
  for (std::string* f : {&r.error_code, &r.error_message, &r.detail, &r.trace_id}) *f = s.text(i++);
  r.req_bytes = static_cast<uint64_t>(s.i64(i++));
  r.resp_bytes = static_cast<uint64_t>(s.i64(i++));
  unpack_k8s(s.text(i++), r);
  out.caller = s.text(i++);
  r.tid = static_cast<uint32_t>(s.i64(i++));
  return out;
}

bool has_column(Db& db, const char* column) {
  Stmt s(db, "SELECT 1 FROM pragma_table_info('requests') WHERE name = ?");
  s.bind(1, std::string_view(column));
  return s.step();
}

}  // namespace

uint64_t convert_legacy_requests(Db& db, ChunkWriter& chunks) {
  if (!Stmt(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'").step())
    return 0;
  // Stores older still lack the caller and thread columns.
  if (!has_column(db, "caller")) db.exec("ALTER TABLE requests ADD COLUMN caller TEXT");
  if (!has_column(db, "tid"))
    db.exec("ALTER TABLE requests ADD COLUMN tid INTEGER NOT NULL DEFAULT 0");
  int64_t total = 0;
  if (Stmt count(db, "SELECT count(*) FROM requests"); count.step()) total = count.i64(0);
  if (total >= kReportFrom)
    std::cerr << "loupe: converting " << total
              << " stored requests into compressed chunks (once; docs/storage.md)\n";
  Stmt select(db, std::string("SELECT ") + kSelectColumns + " FROM requests ORDER BY id LIMIT ?");
  Stmt del(db, "DELETE FROM requests WHERE id <= ?");
  std::vector<LegacyRow> rows;
  std::vector<ChunkRow> chunk_rows;
  int64_t done = 0;
  for (;;) {
    rows.clear();
    chunk_rows.clear();
    db.exec("BEGIN");
    try {
      select.bind(1, kRowsPerBatch);
      while (select.step()) rows.push_back(read_row(select));
      select.reset();
      if (rows.empty()) {
        db.exec("DROP TABLE requests");
        db.exec("COMMIT");
        break;
      }
      for (const LegacyRow& row : rows)
        chunk_rows.push_back({&row.record, row.record.route, row.caller, row.counted,
                              row.service_id, row.record.start_ns, row.record.duration_ns()});
      chunks.write(chunk_rows);
      del.bind(1, rows.back().id);
      del.run();
      db.exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    done += static_cast<int64_t>(rows.size());
    if (total >= kReportFrom)
      std::cerr << "loupe: converted " << done << " of " << total << " stored requests\n";
  }
  return static_cast<uint64_t>(done);
}

}  // namespace loupe::store
