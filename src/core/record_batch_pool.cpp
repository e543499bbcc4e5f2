#include "core/record_batch_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace loupe {

namespace {

// The pages of `batch`'s room past its first `kept` records handed back
// to the kernel (they read as zeros if touched again; the room holds no
// live objects). A vector keeps the pages of the most records it ever
// held: without this, spares filled once by a burst stayed resident at
// that size while the budget counted their last fill.
void release_room_after(std::vector<Record>& batch, size_t kept) {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(batch.data() + kept);
  uintptr_t end = reinterpret_cast<uintptr_t>(batch.data() + batch.capacity());
  begin = (begin + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

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
  release_room_after(batch, touched);
  std::lock_guard lock(mu_);
  if (spares_.size() < max_spares_ && touched_ + touched <= max_records_) {
    spares_.push_back({std::move(batch), touched});
    touched_ += touched;
  }
}

}  // namespace loupe
