#include "store/request_chunk_queries.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>

#include "store/request_chunks.h"
#include "store/request_filter.h"

namespace loupe::store {

namespace {

// A candidate chunk's row, without its blob (read only when needed).
struct ChunkInfo {
  int64_t id = 0;
  std::string service;
  uint64_t min_start = 0, max_start = 0, max_duration = 0, count = 0;
  int64_t first_index = 0;
};

// The chunks that can hold a match of q, in `order` (SQL), one at a time.
class Candidates {
 public:
  Candidates(Db& db, const RequestQuery& q, const RequestFilter& f, const char* order)
      : stmt_(db, std::string("SELECT id, (SELECT name FROM names WHERE id = service_id), "
                              "min_start_ns, max_start_ns, max_duration_ns, count, first_index "
                              "FROM request_chunks WHERE max_start_ns >= ? AND max_start_ns < ? "
                              "AND min_start_ns < ?") +
                      f.chunk_conditions() + order),
        blob_(db, "SELECT records FROM request_chunks WHERE id = ?") {
    stmt_.bind(1, i64(q.range.from_ns));
    // A chunk spans less than a minute: an indexed bound on max_start_ns.
    stmt_.bind(2, i64(std::min<uint64_t>(q.range.to_ns, INT64_MAX - kMinuteNs) + kMinuteNs));
    stmt_.bind(3, i64(q.range.to_ns));
    f.bind(stmt_, 4);
  }
  const ChunkInfo* next() {
    if (!stmt_.step()) return nullptr;
    info_ = {stmt_.i64(0),
             stmt_.text(1),
             static_cast<uint64_t>(stmt_.i64(2)),
             static_cast<uint64_t>(stmt_.i64(3)),
             static_cast<uint64_t>(stmt_.i64(4)),
             static_cast<uint64_t>(stmt_.i64(5)),
             stmt_.i64(6)};
    return &info_;
  }
  // The current chunk decoded into the storage of the previous one
  // (valid until the next call); nullptr when its blob is damaged.
  DecodedChunk* decode() {
    blob_.bind(1, info_.id);
    DecodedChunk reuse = chunk_ ? std::move(*chunk_) : DecodedChunk{};
    chunk_.reset();
    if (blob_.step()) chunk_ = DecodedChunk::decode(blob_.blob(0), std::move(reuse));
    blob_.reset();
    return chunk_ ? &*chunk_ : nullptr;
  }

 private:
  Stmt stmt_, blob_;
  ChunkInfo info_;
  std::optional<DecodedChunk> chunk_;
};

// The sort key of a kept match: (start or duration, id), larger first.
struct Kept {
  uint64_t key;
  StoredRequest request;
};
// Better first; as a heap's order, the worst kept match on top.
bool better(const Kept& a, const Kept& b) {
  return std::tie(a.key, a.request.id) > std::tie(b.key, b.request.id);
}

}  // namespace

std::vector<StoredRequest> query_chunked_requests(Db& db, const RequestQuery& q) {
  if (q.limit == 0 || q.range.to_ns <= q.range.from_ns) return {};
  auto filter = RequestFilter::make(db, q);
  if (!filter) return {};
  const bool slowest = q.order == RequestOrder::Slowest;
  Candidates chunks(db, q, *filter,
                    slowest ? " ORDER BY max_duration_ns DESC" : " ORDER BY max_start_ns DESC");
  std::vector<Kept> kept;  // a heap by better(): the worst on top
  auto key_of = [slowest](const Record& r) { return slowest ? r.duration_ns() : r.start_ns; };
  while (const ChunkInfo* c = chunks.next()) {
    // Chunks come by their best key, descending: once the kept matches are
    // full and this chunk's best is below the worst of them, no later
    // chunk can add one (an equal key could still win on its larger id).
    uint64_t best = slowest ? c->max_duration : c->max_start;
    if (kept.size() == q.limit && best < kept.front().key) break;
    DecodedChunk* chunk = chunks.decode();
    if (!chunk) continue;
    for (size_t i = 0; i < chunk->size(); ++i) {
      const Record& r = chunk->record(i);
      if (!filter->matches(r, chunk->route(i), chunk->counted(i))) continue;
      int64_t id = request_id(c->id, c->first_index + static_cast<int64_t>(i));
      uint64_t key = key_of(r);
      if (kept.size() == q.limit &&
          std::tie(kept.front().key, kept.front().request.id) >= std::tie(key, id))
        continue;
      if (kept.size() == q.limit) {
        std::pop_heap(kept.begin(), kept.end(), better);
        kept.pop_back();
      }
      kept.push_back({key, chunk->take(i, id, c->service)});
      std::push_heap(kept.begin(), kept.end(), better);
    }
  }
  std::sort(kept.begin(), kept.end(), better);
  std::vector<StoredRequest> out;
  out.reserve(kept.size());
  for (Kept& k : kept) out.push_back(std::move(k.request));
  return out;
}

uint64_t count_chunked_requests(Db& db, const RequestQuery& q, uint64_t at_most) {
  if (at_most == 0 || q.range.to_ns <= q.range.from_ns) return 0;
  auto filter = RequestFilter::make(db, q);
  if (!filter) return 0;
  Candidates chunks(db, q, *filter, "");
  uint64_t n = 0;
  while (n < at_most) {
    const ChunkInfo* c = chunks.next();
    if (!c) break;
    if (!filter->per_record() && c->min_start >= q.range.from_ns && c->max_start < q.range.to_ns) {
      n += c->count;
      continue;
    }
    DecodedChunk* chunk = chunks.decode();
    if (!chunk) continue;
    for (size_t i = 0; i < chunk->size() && n < at_most; ++i)
      n += filter->matches(chunk->record(i), chunk->route(i), chunk->counted(i));
  }
  return std::min(n, at_most);
}

std::optional<StoredRequest> chunked_request(Db& db, int64_t id) {
  if (id < 0) return std::nullopt;
  int64_t chunk_id = id >> kChunkIndexBits;
  int64_t index = id & ((int64_t{1} << kChunkIndexBits) - 1);
  Stmt s(db,
         "SELECT (SELECT name FROM names WHERE id = service_id), first_index, records "
         "FROM request_chunks WHERE id = ?");
  s.bind(1, chunk_id);
  if (!s.step()) return std::nullopt;
  std::string service = s.text(0);
  int64_t i = index - s.i64(1);
  auto chunk = DecodedChunk::decode(s.blob(2));
  if (!chunk || i < 0 || static_cast<size_t>(i) >= chunk->size()) return std::nullopt;
  return chunk->take(static_cast<size_t>(i), id, service);
}

}  // namespace loupe::store
