// The remote-ingest bookkeeping tables, written in the same transaction as
// the records they concern (Store::write_batch with IngestBookkeeping):
//  - ingest_batches: the key (agent, seq) of every agent batch stored or
//    held, so one sent again after its acknowledgement was lost is
//    recognised and stored once; kept kBatchKeyKeepNs.
//  - held_batches: batches acknowledged to their agents whose records wait
//    for the cluster model to name them; removed in the transaction that
//    stores their records, replayed on start after a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

extern const char* const kLedgerSchema;
constexpr uint64_t kBatchKeyKeepNs = 24ULL * 3600 * 1'000'000'000ULL;

// The statements, prepared once on the writer connection.
// A held batch's records as stored: a JSON array (core/record_json.h), and
// back. A row that does not parse (damaged) gives the records that do.
std::string held_records_json(const std::vector<Record>& records);
std::vector<Record> held_records_from_json(std::string_view json);

class IngestLedger {
 public:
  IngestLedger() = default;
  explicit IngestLedger(Db& db);

  // Inside the caller's transaction.
  void add(const IngestBookkeeping& book, uint64_t now_ns);
  bool has(const BatchKey& key);
  // Keys received before cutoff_ns.
  void forget_before(uint64_t cutoff_ns);

  static std::vector<HeldBatch> held(Db& db);

 private:
  Stmt insert_key_, find_key_, insert_held_, delete_held_, delete_keys_;
  Db* db_ = nullptr;
};

}  // namespace loupe::store
