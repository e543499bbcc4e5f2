#include "store/request_chunks.h"

#include <algorithm>
#include <tuple>

#include "store/store.h"

namespace loupe::store {

namespace {

constexpr size_t kNotesPerRecord = 3;  // route, caller, counted ("1" or "")

// What a chunk's row says about its records besides the blob.
struct ChunkSummary {
  uint64_t min_start = 0, max_start = 0, max_duration = 0;
};

// `rows` are sorted by start (ChunkWriter::write), so the ends are its first
// and last.
ChunkSummary summarize(std::span<const ChunkRow> rows) {
  if (rows.empty()) return {};
  ChunkSummary s{rows.front().record->start_ns, rows.back().record->start_ns, 0};
  for (const ChunkRow& row : rows)
    s.max_duration = std::max(s.max_duration, row.record->duration_ns());
  return s;
}

}  // namespace

std::optional<DecodedChunk> DecodedChunk::decode(std::string_view blob, DecodedChunk reuse) {
  auto noted = decode_noted_records(blob, nullptr, {}, std::move(reuse.noted_));
  if (!noted || noted->notes_per_record < kNotesPerRecord) return std::nullopt;
  DecodedChunk c;
  c.noted_ = std::move(*noted);
  return c;
}

StoredRequest DecodedChunk::take(size_t i, int64_t id, const std::string& service) {
  StoredRequest out;
  out.id = id;
  out.record = std::move(noted_.records[i]);
  out.record.route = route(i);
  out.service = service;
  out.caller = caller(i);
  out.counted = counted(i);
  return out;
}

std::vector<ChunkRow> DecodedChunk::rows(size_t first) const {
  std::vector<ChunkRow> out;
  for (size_t i = first; i < size(); ++i)
    out.push_back({&record(i), route(i), caller(i), counted(i)});
  return out;
}

ChunkWriter::ChunkWriter(Db& db)
    : db_(&db),
      insert_(db,
              "INSERT INTO request_chunks(service_id, min_start_ns, max_start_ns, "
              "max_duration_ns, count, records) VALUES(?,?,?,?,?,?)"),
      encoder_(std::make_unique<BatchEncoder>()) {}

namespace {

// The blob of `rows`, built in the writer's reused vectors and encoder:
// valid until the encoder's next use.
std::string_view encode_rows(std::span<const ChunkRow> rows, std::vector<const Record*>& records,
                             std::vector<std::string_view>& notes, BatchEncoder& encoder) {
  records.clear();
  notes.clear();
  for (const ChunkRow& row : rows) {
    records.push_back(row.record);
    notes.push_back(row.route);
    notes.push_back(row.caller);
    notes.push_back(row.counted ? "1" : "");
  }
  return encoder.encode_noted(records, notes, kNotesPerRecord);
}

}  // namespace

void ChunkWriter::write(std::span<const ChunkRow> rows) {
  std::vector<SortKey>& keys = keys_;
  keys.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    keys[i] = {rows[i].service_id, rows[i].start_ns, static_cast<uint32_t>(i)};
  sort_keys();
  size_t first = 0;
  while (first < keys.size()) {
    const SortKey& head = keys[first];
    uint64_t minute = head.start_ns / kMinuteNs;
    size_t end = first + 1;
    while (end < keys.size() && end - first < kMaxChunkRecords &&
           keys[end].service_id == head.service_id && keys[end].start_ns / kMinuteNs == minute)
      ++end;
    records_.clear();
    notes_.clear();
    connections_.clear();
    uint64_t max_duration = 0;
    for (size_t k = first; k < end; ++k) {
      const ChunkRow& row = rows[keys[k].row];
      max_duration = std::max(max_duration, row.duration_ns);
      records_.push_back(row.record);
      connections_.push_back(row.connection);
      notes_.push_back(row.route);
      notes_.push_back(row.caller);
      notes_.push_back(row.counted ? "1" : "");
    }
    std::string_view blob = encoder_->encode_noted(records_, notes_, kNotesPerRecord, connections_);
    insert_.bind(1, head.service_id);
    insert_.bind(2, i64(head.start_ns));
    insert_.bind(3, i64(keys[end - 1].start_ns));
    insert_.bind(4, i64(max_duration));
    insert_.bind(5, static_cast<int64_t>(end - first));
    insert_.bind_blob(6, blob);
    insert_.run();
    first = end;
  }
}

void ChunkWriter::sort_keys() {
  auto less = [](const SortKey& a, const SortKey& b) {
    return std::tie(a.service_id, a.start_ns, a.row) < std::tie(b.service_id, b.start_ns, b.row);
  };
  // The rows come as a few ascending runs: the resolver's server rows,
  // then its client rows, each by start within a service. Merged run by
  // run, pass by pass, into the spare keys: one pass for two runs, where
  // std::sort's introsort took ~490 instructions a row (falling back to
  // heapsort on such input). Records are handed over as their exchanges
  // end, not as they start, so a round of 8,192 rows at a paced 10k req/s
  // (14 connections, both sides) comes as 40-110 runs: 7 passes, where
  // std::sort (past 64 runs before) was ~4.5% of the writer's CPU.
  // Past kMergedRuns (records of many services interleaved, 10 passes),
  // std::sort. Not std::stable_sort, nor the rows
  // themselves: it allocates a buffer of half the rows per call (mapped,
  // faulted in and unmapped for a saturated round's ~18k rows: ~10% of
  // `loupe run`'s writer thread), and 24-byte keys move at a third of the
  // cost of the 72-byte rows, with no comparison reading a record. The
  // keys are unique (the row), so any of these sorts gives one order.
  constexpr size_t kMergedRuns = 1024;
  std::vector<SortKey>& keys = keys_;
  run_ends_.clear();
  for (size_t i = 1; i < keys.size(); ++i) {
    if (!less(keys[i], keys[i - 1])) continue;
    if (run_ends_.size() == kMergedRuns) {
      std::sort(keys.begin(), keys.end(), less);
      return;
    }
    run_ends_.push_back(i);
  }
  run_ends_.push_back(keys.size());
  spare_keys_.resize(keys.size());
  while (run_ends_.size() > 1) {
    size_t begin = 0, merged = 0;
    for (size_t r = 0; r < run_ends_.size(); r += 2) {
      size_t mid = run_ends_[r];
      size_t end = r + 1 < run_ends_.size() ? run_ends_[r + 1] : mid;
      std::merge(keys.begin() + begin, keys.begin() + mid, keys.begin() + mid, keys.begin() + end,
                 spare_keys_.begin() + begin, less);
      run_ends_[merged++] = end;
      begin = end;
    }
    run_ends_.resize(merged);
    keys.swap(spare_keys_);
  }
}

uint64_t ChunkWriter::delete_before(uint64_t cutoff_ns) {
  Db& db = *db_;
  uint64_t deleted = 0;
  {
    Stmt whole(db, "SELECT coalesce(sum(count), 0) FROM request_chunks WHERE max_start_ns < ?");
    whole.bind(1, i64(cutoff_ns));
    if (whole.step()) deleted = static_cast<uint64_t>(whole.i64(0));
    Stmt del(db, "DELETE FROM request_chunks WHERE max_start_ns < ?");
    del.bind(1, i64(cutoff_ns));
    del.run();
  }
  // The chunks across the cutoff (a few per service: those of the
  // cutoff's minute) lose their older records; records are sorted by
  // start, so those are a prefix and the rest keep their indexes.
  struct Across {
    int64_t id;
    std::string blob;
  };
  std::vector<Across> across;
  {
    Stmt s(db,
           "SELECT id, records FROM request_chunks WHERE max_start_ns >= ? AND max_start_ns < ? "
           "AND min_start_ns < ?");
    s.bind(1, i64(cutoff_ns));
    s.bind(2, i64(cutoff_ns + kMinuteNs));
    s.bind(3, i64(cutoff_ns));
    while (s.step()) across.push_back({s.i64(0), std::string(s.blob(1))});
  }
  Stmt update(db,
              "UPDATE request_chunks SET min_start_ns = ?, max_duration_ns = ?, count = ?, "
              "first_index = first_index + ?, records = ? WHERE id = ?");
  for (const Across& a : across) {
    auto chunk = DecodedChunk::decode(a.blob);
    if (!chunk) continue;  // kept whole until it expires: never a crash
    size_t first = 0;
    while (first < chunk->size() && chunk->record(first).start_ns < cutoff_ns) ++first;
    if (first == 0) continue;
    std::vector<ChunkRow> kept = chunk->rows(first);
    ChunkSummary s = summarize(kept);
    std::string_view blob = encode_rows(kept, records_, notes_, *encoder_);
    update.bind(1, i64(s.min_start));
    update.bind(2, i64(s.max_duration));
    update.bind(3, static_cast<int64_t>(kept.size()));
    update.bind(4, static_cast<int64_t>(first));
    update.bind_blob(5, blob);
    update.bind(6, a.id);
    update.run();
    deleted += first;
  }
  return deleted;
}

uint64_t ChunkWriter::total(Db& db) {
  Stmt s(db, "SELECT coalesce(sum(count), 0) FROM request_chunks");
  return s.step() ? static_cast<uint64_t>(s.i64(0)) : 0;
}

}  // namespace loupe::store
