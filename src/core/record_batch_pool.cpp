#include "core/record_batch_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace loupe {

namespace {

uintptr_t page_size() {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// How many records' room of `batch` is resident: up to its last resident
// page. A vector keeps the pages of the most records it ever held, which
// the pool cannot tell from its size.
size_t resident_records(const std::vector<Record>& batch) {
  const uintptr_t page = page_size();
  uintptr_t data = reinterpret_cast<uintptr_t>(batch.data());
  uintptr_t first = data & ~(page - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(batch.data() + batch.capacity());
  std::vector<unsigned char> in((end - first + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(first), end - first, in.data()) != 0)
    return batch.capacity();  // unknown: all of it
  size_t last = in.size();
  while (last > 0 && !(in[last - 1] & 1)) --last;
  uintptr_t resident_end = first + last * page;
  if (resident_end <= data) return 0;
  return std::min(batch.capacity(), (resident_end - data + sizeof(Record) - 1) / sizeof(Record));
}

// The pages of `batch`'s room past its first `kept` records handed back
// to the kernel (they read as zeros if touched again; the room holds no
// live objects).
void release_room_after(std::vector<Record>& batch, size_t kept) {
  const uintptr_t page = page_size();
  uintptr_t begin = reinterpret_cast<uintptr_t>(batch.data() + kept);
  uintptr_t end = reinterpret_cast<uintptr_t>(batch.data() + batch.capacity());
  begin = (begin + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

std::vector<Record> RecordBatchPool::take(size_t capacity) {
  std::vector<Record> batch;
  std::vector<Spare> unused;  // freed after the lock
  {
    Clock::time_point now = now_();
    std::lock_guard lock(mu_);
    if (!spares_.empty()) {
      batch = std::move(spares_.back().batch);
      touched_ -= spares_.back().touched;
      spares_.pop_back();
    }
    fewest_ = std::min(fewest_, spares_.size());
    if (now - window_start_ >= release_window_) unused = end_window_locked(now);
  }
  batch.reserve(capacity);
  return batch;
}

std::vector<RecordBatchPool::Spare> RecordBatchPool::end_window_locked(Clock::time_point now) {
  // Only takes lower the count, so the fewest held is seen at a take; a
  // window without any take ends at the next one, having needed none.
  std::vector<Spare> unused(std::make_move_iterator(spares_.begin()),
                            std::make_move_iterator(spares_.begin() + fewest_));
  spares_.erase(spares_.begin(), spares_.begin() + fewest_);
  for (const Spare& s : unused) touched_ -= s.touched;
  released_ += unused.size();
  window_start_ = now;
  fewest_ = spares_.size();
  last_fullest_ = fullest_;
  fullest_ = 0;
  return unused;
}

nlohmann::json to_json(const RecordBatchPoolStats& s) {
  return {{"spares", s.spares}, {"spare_records", s.spare_records}, {"released", s.released}};
}

RecordBatchPoolStats RecordBatchPool::stats() const {
  std::lock_guard lock(mu_);
  return {.spares = spares_.size(), .spare_records = touched_, .released = released_};
}

void RecordBatchPool::give(std::vector<Record>&& batch) {
  if (batch.capacity() == 0) return;
  size_t filled = batch.size();
  batch.clear();  // outside the lock: destroys the records
  size_t resident = std::max(filled, resident_records(batch));
  std::lock_guard lock(mu_);
  if (spares_.size() >= max_spares_) return;
  // Room past what the batches of this window and the last one held was
  // left by a burst: at a lower rate each batch holds what 50 ms bring,
  // but every vector in the cycle (~9: the pump's, the queue's, the
  // writer's round) kept the pages of its fullest fill. Room a recent
  // batch needed is kept, so a steady rate faults nothing in again.
  fullest_ = std::max(fullest_, filled);
  size_t needed = std::max(fullest_, last_fullest_);
  if (resident > needed) {
    release_room_after(batch, needed);
    resident = needed;
  }
  if (touched_ + resident > max_records_) {
    // Over the budget with the room a burst left: kept with its last
    // fill's only. Released only then, as refilling released room faults
    // it in again (the cost the pool is there to save).
    if (touched_ + filled > max_records_) return;
    release_room_after(batch, filled);
    resident = filled;
  }
  spares_.push_back({std::move(batch), resident});
  touched_ += resident;
}

}  // namespace loupe
