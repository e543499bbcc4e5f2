#include "store/ingest_ledger.h"

#include <nlohmann/json.hpp>

#include "core/record_json.h"

namespace loupe::store {

const char* const kLedgerSchema = R"sql(
CREATE TABLE IF NOT EXISTS ingest_batches(
  agent TEXT NOT NULL, seq INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  PRIMARY KEY(agent, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ingest_batches_time ON ingest_batches(received_ns);
CREATE TABLE IF NOT EXISTS held_batches(
  id INTEGER PRIMARY KEY,
  arrived_ns INTEGER NOT NULL,
  records TEXT NOT NULL);  -- a JSON array of records (core/record_json.h)
)sql";

std::string held_records_json(const std::vector<Record>& records) {
  std::string json = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) json += ',';
    append_record_json(json, records[i]);
  }
  json += ']';
  return json;
}

std::vector<Record> held_records_from_json(std::string_view json) {
  // Written by Loupe from records it had checked: a row that does not
  // parse was damaged on disk, and is replayed as far as it goes.
  std::vector<Record> out;
  auto records = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!records.is_array()) return out;
  for (const auto& r : records) {
    try {
      out.push_back(record_from_json(r));
    } catch (const nlohmann::json::exception&) {
    }
  }
  return out;
}

IngestLedger::IngestLedger(Db& db)
    : insert_key_(db,
                  "INSERT OR IGNORE INTO ingest_batches(agent, seq, received_ns) VALUES(?,?,?)"),
      find_key_(db, "SELECT 1 FROM ingest_batches WHERE agent = ? AND seq = ?"),
      insert_held_(db, "INSERT INTO held_batches(arrived_ns, records) VALUES(?,?)"),
      delete_held_(db, "DELETE FROM held_batches WHERE id = ?"),
      delete_keys_(db, "DELETE FROM ingest_batches WHERE received_ns < ?"),
      db_(&db) {}

void IngestLedger::add(const IngestBookkeeping& book, uint64_t now_ns) {
  for (const BatchKey& k : book.batches) {
    insert_key_.bind(1, std::string_view(k.agent));
    insert_key_.bind(2, static_cast<int64_t>(k.seq));
    insert_key_.bind(3, static_cast<int64_t>(now_ns));
    insert_key_.run();
  }
  for (HeldBatch* b : book.hold) {
    std::string json = held_records_json(b->records);
    insert_held_.bind(1, static_cast<int64_t>(b->arrived_ns));
    insert_held_.bind(2, std::string_view(json));
    insert_held_.run();
    b->id = static_cast<uint64_t>(sqlite3_last_insert_rowid(db_->get()));
  }
  for (uint64_t id : book.released) {
    delete_held_.bind(1, static_cast<int64_t>(id));
    delete_held_.run();
  }
}

bool IngestLedger::has(const BatchKey& key) {
  find_key_.bind(1, std::string_view(key.agent));
  find_key_.bind(2, static_cast<int64_t>(key.seq));
  bool found = find_key_.step();
  find_key_.reset();
  return found;
}

void IngestLedger::forget_before(uint64_t cutoff_ns) {
  delete_keys_.bind(1, static_cast<int64_t>(cutoff_ns));
  delete_keys_.run();
}

std::vector<HeldBatch> IngestLedger::held(Db& db) {
  Stmt all(db, "SELECT id, arrived_ns, records FROM held_batches ORDER BY id");
  std::vector<HeldBatch> out;
  while (all.step()) {
    HeldBatch b;
    b.id = static_cast<uint64_t>(all.i64(0));
    b.arrived_ns = static_cast<uint64_t>(all.i64(1));
    b.records = held_records_from_json(all.text(2));
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace loupe::store
