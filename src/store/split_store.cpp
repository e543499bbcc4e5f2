#include "store/split_store.h"

namespace loupe::store {

SplitStore::SplitStore(std::unique_ptr<RecordStore> records, std::unique_ptr<Store> rest,
                       SharedSignals shared, std::unique_ptr<ServerState> state)
    : own_records_(std::move(records)),
      rest_(std::move(rest)),
      state_(std::move(state)),
      records_(own_records_ ? own_records_.get() : rest_.get()),
      shared_(shared),
      metrics_(shared.metrics ? shared.metrics : rest_.get()),
      logs_(shared.logs ? shared.logs : rest_.get()),
      events_(shared.events ? shared.events : rest_.get()),
      profiles_(shared.profiles ? shared.profiles : rest_.get()) {}

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
  if (!state_ && !shared_.events) {
    rest_->write_k8s(in);
    return;
  }
  if (!in.snapshot.empty() || !in.changes.empty()) {
    if (state_) {
      state_->write_k8s_history(in);
    } else {
      K8sIngest history;
      history.received_ns = in.received_ns;
      history.collector = in.collector;
      history.snapshot = in.snapshot;
      history.changes = in.changes;
      rest_->write_k8s(history);
    }
  }
  events_->write_events(in.events);
}

StoreStats SplitStore::stats() {
  StoreStats st = rest_->stats();
  if (!own_records_) return st;
  StoreStats recs = records_->stats();
  st.records_stored = recs.records_stored;
  if (shared_.metrics) st.metric_samples_skipped = recs.metric_samples_skipped;
  if (shared_.logs) st.logs_stored = recs.logs_stored;
  st.store_size_bytes += recs.store_size_bytes;
  return st;
}

uint64_t SplitStore::enforce_retention(uint64_t now_ns) {
  if (state_) state_->enforce_retention(now_ns);
  uint64_t deleted = rest_->enforce_retention(now_ns);
  return own_records_ ? records_->enforce_retention(now_ns) : deleted;
}

}  // namespace loupe::store
