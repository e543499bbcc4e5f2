#include "core/record_batch_pool.h"

#include <utility>

namespace loupe {

std::vector<Record> RecordBatchPool::take(size_t capacity) {
  std::vector<Record> batch;
  {
    std::lock_guard lock(mu_);
    if (!spares_.empty()) {
      batch = std::move(spares_.back().batch);
      touched_ -= spares_.back().touched;
      spares_.pop_back();
    }
  }
  batch.reserve(capacity);
  return batch;
}

void RecordBatchPool::give(std::vector<Record>&& batch) {
  if (batch.capacity() == 0) return;
  size_t touched = batch.size();
  batch.clear();  // outside the lock: destroys the records
  std::lock_guard lock(mu_);
  if (spares_.size() < max_spares_ && touched_ + touched <= max_records_) {
    spares_.push_back({std::move(batch), touched});
    touched_ += touched;
  }
}

}  // namespace loupe
