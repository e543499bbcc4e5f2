// The embedded store's raw requests, kept as compressed chunks: one row of
// request_chunks per (service, UTC minute of start) of each written batch,
// at most kMaxChunkRecords records, sorted by start, in one blob of the
// project's record codec (core/batch_codec.h, noted records: each record
// with its resolved route, caller and counted flag). A row per record cost
// the ingest writer ~4 µs per record in SQLite (VDBE, b-tree descents, WAL
// frames); a chunk costs it one row per thousands of records. Queries pick
// candidate chunks by service, time and the pruning columns, then decode
// and filter them in memory (store/request_filter.h,
// store/request_chunk_queries.h). Schema and rationale: docs/storage.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch_codec.h"
#include "core/record.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

// Every record of a chunk starts in one UTC minute, so max_start_ns -
// min_start_ns < 60 s: queries bound the indexed max_start_ns by a range's
// end plus a minute. first_index: the index (in the id) of the chunk's
// first record, above 0 once retention dropped its oldest records.
inline constexpr const char* kChunkSchema = R"sql(
CREATE TABLE IF NOT EXISTS request_chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: request ids stay stable
  service_id INTEGER NOT NULL,  -- names.id of the resolved service
  min_start_ns INTEGER NOT NULL, max_start_ns INTEGER NOT NULL,
  max_duration_ns INTEGER NOT NULL, count INTEGER NOT NULL,
  first_index INTEGER NOT NULL DEFAULT 0,
  records BLOB NOT NULL);  -- encode_noted_records, sorted by start
CREATE INDEX IF NOT EXISTS request_chunks_service ON request_chunks(service_id, max_start_ns);
CREATE INDEX IF NOT EXISTS request_chunks_time ON request_chunks(max_start_ns);
)sql";

// Records per chunk at most: a newest-first page decodes one or two chunks
// (~1 ms each), and the index fits the id's low bits.
inline constexpr size_t kMaxChunkRecords = 4096;
inline constexpr int kChunkIndexBits = 16;
inline constexpr uint64_t kMinuteNs = 60'000'000'000ULL;

// StoredRequest::id of a chunk's record: stable while the record is kept.
inline int64_t request_id(int64_t chunk_id, int64_t index) {
  return (chunk_id << kChunkIndexBits) | index;
}

// One record to put in a chunk, with what the store returns beside it.
struct ChunkRow {
  const Record* record = nullptr;
  std::string_view route;   // the resolved route (may differ from record->route)
  std::string_view caller;  // empty when unknown
  bool counted = true;
  int64_t service_id = 0;  // names.id of the resolved service
  // The record's start and duration, for ChunkWriter::write (which reads
  // no record but to encode it): set by whoever builds the row, while the
  // record is in cache.
  uint64_t start_ns = 0;
  uint64_t duration_ns = 0;
  uint32_t connection = 0;  // as ResolvedRecord::connection: fields coded without comparing
};

// A chunk as read back: the records (sorted by start) and their notes.
class DecodedChunk {
 public:
  // Nullopt for a blob that does not decode (a damaged page): the chunk
  // is skipped, never a crash. `reuse`'s storage is decoded into: a full
  // chunk's records are ~3 MiB, which a scan over many chunks would
  // otherwise allocate and fault in once per chunk.
  static std::optional<DecodedChunk> decode(std::string_view blob, DecodedChunk reuse = {});
  size_t size() const { return noted_.records.size(); }
  const Record& record(size_t i) const { return noted_.records[i]; }
  std::string_view route(size_t i) const { return note(i, 0); }
  std::string_view caller(size_t i) const { return note(i, 1); }
  bool counted(size_t i) const { return note(i, 2) == "1"; }
  // The record as StoredRequest, moved out (record(i) is left empty).
  StoredRequest take(size_t i, int64_t id, const std::string& service);
  // The rows of records [first, size()), pointing into this chunk.
  std::vector<ChunkRow> rows(size_t first) const;

 private:
  std::string_view note(size_t i, size_t k) const {
    return noted_.notes[i * noted_.notes_per_record + k];
  }
  NotedRecords noted_;
};

// Writes and trims chunks; the writer's, on the writer's connection.
class ChunkWriter {
 public:
  ChunkWriter() = default;
  explicit ChunkWriter(Db& db);

  // Writes `rows` (start_ns and duration_ns set) as one chunk per
  // (service, UTC minute of start), split past kMaxChunkRecords, each
  // sorted by start (records of one start keep their order).
  void write(std::span<const ChunkRow> rows);
  // Deletes every record that started before `cutoff_ns`: whole chunks,
  // and the older records of chunks across the cutoff (rewritten, their
  // kept records' ids unchanged). Returns how many records went.
  uint64_t delete_before(uint64_t cutoff_ns);
  // Records stored in every chunk.
  static uint64_t total(Db& db);

 private:
  Db* db_ = nullptr;
  Stmt insert_;
  // The order rows are written in: (service, start, position) sorted
  // apart from the 72-byte rows, which std::sort moved around.
  struct SortKey {
    int64_t service_id;
    uint64_t start_ns;
    uint32_t row;
  };
  // Sorts keys_ (spare_keys_ and run_ends_ its working memory).
  void sort_keys();
  // Reused across chunks so each is built in memory already faulted in.
  std::vector<SortKey> keys_, spare_keys_;
  std::vector<size_t> run_ends_;
  std::vector<const Record*> records_;
  std::vector<std::string_view> notes_;
  std::vector<uint32_t> connections_;
  std::unique_ptr<BatchEncoder> encoder_;  // its buffers and zstd context, likewise
};

}  // namespace loupe::store
