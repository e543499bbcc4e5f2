// One write of ClickHouseStore (records, or one of the other signals'
// writes: idempotent_write, hourly_write), encoded and ready to send: the RowBinary
// INSERT bodies of every table it touches, in the order they are sent, and
// the write id its rows carry. It is what the spool (spool.h) keeps on disk,
// and what makes a write that failed part way safe to send again: each part
// is one INSERT of rows of one UTC hour into one table, so of one partition
// (the rollups are partitioned by hour, the records by day), which
// ClickHouse commits whole or not at all (one block, one partition: one
// part), and its rows carry the write id, so a retry asks each table whether
// it holds the write's rows of that hour and sends only the parts it does
// not. Compaction (compaction.h) folds an hour's rollup rows into rows
// without a write id; it first notes the write ids it folds in
// loupe_folded_writes, which the retry asks too, so a write id survives
// compaction (docs/storage-clickhouse.md, "Writes and exactly once").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/client.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

class ShardWrites;

// A part whose rows may be sent twice without changing any answer
// (services are read grouped, batch keys by existence).
inline constexpr uint32_t kAnyHour = 0xffffffff;

struct WritePart {
  std::string table;         // where its rows go, for the resume check
  std::string target;        // "table (col, ...)"
  uint32_t hour = kAnyHour;  // UTC hour (hours since the epoch) of every row; kAnyHour: idempotent
  std::string body;          // RowBinary
};

struct PreparedWrite {
  // Random, 43 bits: the record and log entry ids' prefix (id = write_id <<
  // 20 | index) and the rollup and profile rows' write_id column.
  uint64_t write_id = 0;
  uint64_t records = 0;  // request records it stores
  // At most this many rows in any one part: what keeps a merged part one
  // block (next_group in spooled_writer.cpp).
  uint64_t rows = 0;
  std::vector<std::string> batch_ids;  // agent batch keys it stores (loupe_batches)
  std::vector<WritePart> parts;        // sent in order; the batch keys last

  size_t body_bytes() const;
};

// `batch` as one write with id `write_id` (random, 43 bits): services, then
// per UTC hour its records and the three rollups, then the agent batch keys
// `keys` (may be null), which go last: a batch is a duplicate only once all
// of it is stored.
PreparedWrite prepare_write(const ResolvedBatch& batch, const std::vector<BatchKey>* keys,
                            uint64_t write_id);

// Appends the agent batch keys `keys` to `write` as its last part (in
// loupe_batches with the write's id): the write is then resumed by them
// (send_write: stored by itself, or by another replica) and has_batch
// recognises them on every replica once it is stored.
void add_batch_keys(PreparedWrite& write, const std::vector<BatchKey>& keys);

// A write of one table's rows whose repeats change no answer (metric
// samples are read one per series and second, events and log patterns as
// their newest row per key): one part, sent again whole after a failure.
PreparedWrite idempotent_write(std::string_view table, std::string_view columns, std::string body,
                               uint64_t rows);

// A write of one table's rows that carry write id `write_id` (log entries
// in their id's prefix, profile samples in a write_id column), as one part
// per UTC hour (`bodies`: hour -> RowBinary rows): resumed as a record
// write is, an hour's part sent only when the table holds none of its rows.
// `first` (may be empty: no part) is sent before them, whole.
PreparedWrite hourly_write(uint64_t write_id, std::string_view table, std::string_view columns,
                           std::map<uint32_t, std::string> bodies, uint64_t rows,
                           std::optional<WritePart> first = std::nullopt);

// Several writes none of which reached ClickHouse yet, as one: per table
// and hour one part with all their rows (each row keeps its own write id),
// services first and batch keys last as in each write. Since each merged
// part is still one INSERT of one hour into one table, committed whole, a
// merged send that fails part way leaves every one of the writes in a
// state its own resume understands. What the spool's replay sends, so a
// backlog of N writes costs a few INSERTs rather than N times five.
PreparedWrite merge_writes(std::vector<PreparedWrite> writes);

// The spool's file format: magic, the fields, an end marker. parse_write
// returns nullopt for anything that is not one whole write.
std::string serialize(const PreparedWrite& write);
std::optional<PreparedWrite> parse_write(std::string_view bytes);

// Sends `write`'s parts in order. With `resume` (a retry, possibly by the
// next server on the same spool): nothing when its batch keys are stored by
// this write (they go last, so all of it is); when every batch key is
// stored by other writes (the agent sent the batches again to another
// replica), deletes the rows this write had sent (ALTER TABLE ... DELETE)
// and sends nothing; otherwise sends the hour-parts whose table holds no row
// of this write id for that hour and whose hour loupe_folded_writes does not
// list the write id for (compacted). With `resume` or `from_spool` (the
// spool's replay), log entry parts are sent without the entries loupe_logs
// holds by then (log_rows.h): entries taken while ClickHouse was down, or
// sent again while they waited, are stored once. Returns the parts sent;
// throws Error. In cluster mode (`shards`) the parts go to one shard's
// local tables and the deletes to every shard's (shard_writes.h); the
// questions are asked through `client`, of the Distributed tables.
size_t send_write(Client& client, const PreparedWrite& write, bool resume,
                  ShardWrites* shards = nullptr, bool from_spool = false);

}  // namespace loupe::store::clickhouse
