#include "store/split_store.h"

namespace loupe::store {

void SplitStore::write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) {
  if (!book || (book->hold.empty() && book->released.empty())) {
    records_->write_batch(batch, book);
    return;
  }
  // Held records are safe in `rest` before their batch keys make them duplicates.
  if (!book->hold.empty()) {
    IngestBookkeeping hold;
    hold.hold = book->hold;
    rest_->write_batch(ResolvedBatch{}, &hold);
  }
  IngestBookkeeping keys;
  keys.batches = book->batches;
  records_->write_batch(batch, keys.batches.empty() ? nullptr : &keys);
  // Released batches leave `rest` once their records are stored.
  if (!book->released.empty()) {
    IngestBookkeeping released;
    released.released = book->released;
    rest_->write_batch(ResolvedBatch{}, &released);
  }
}

StoreStats SplitStore::stats() {
  StoreStats st = rest_->stats();
  StoreStats recs = records_->stats();
  st.records_stored = recs.records_stored;
  st.store_size_bytes += recs.store_size_bytes;
  return st;
}

uint64_t SplitStore::enforce_retention(uint64_t now_ns) {
  rest_->enforce_retention(now_ns);
  return records_->enforce_retention(now_ns);
}

}  // namespace loupe::store
