#include "store/split_store.h"

namespace loupe::store {

void SplitStore::write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) {
  if (!book || (book->hold.empty() && book->released.empty())) {
    records_->write_batch(batch, book);
    return;
  }
  // Held records are safe before their batch keys make them duplicates.
  hold(book->hold);
  IngestBookkeeping keys;
  keys.batches = book->batches;
  records_->write_batch(batch, keys.batches.empty() ? nullptr : &keys);
  // Released batches are forgotten once their records are stored.
  release(book->released);
}

void SplitStore::hold(const std::vector<HeldBatch*>& batches) {
  if (batches.empty()) return;
  if (state_) return state_->hold(batches);
  IngestBookkeeping book;
  book.hold = batches;
  rest_->write_batch(ResolvedBatch{}, &book);
}

void SplitStore::release(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return;
  if (state_) return state_->release(ids);
  IngestBookkeeping book;
  book.released = ids;
  rest_->write_batch(ResolvedBatch{}, &book);
}

void SplitStore::write_k8s(const K8sIngest& in) {
  if (!state_) return rest_->write_k8s(in);
  state_->write_k8s_history(in);
  if (in.events.empty()) return;
  K8sIngest events;
  events.received_ns = in.received_ns;
  events.collector = in.collector;
  events.events = in.events;
  rest_->write_k8s(events);
}

StoreStats SplitStore::stats() {
  StoreStats st = rest_->stats();
  if (!own_records_) return st;
  StoreStats recs = records_->stats();
  st.records_stored = recs.records_stored;
  st.store_size_bytes += recs.store_size_bytes;
  return st;
}

uint64_t SplitStore::enforce_retention(uint64_t now_ns) {
  if (state_) state_->enforce_retention(now_ns);
  uint64_t deleted = rest_->enforce_retention(now_ns);
  return own_records_ ? records_->enforce_retention(now_ns) : deleted;
}

}  // namespace loupe::store
