// Spent record batches, handed back from the stage that consumed them to
// the stage that fills them, so the next batch is built in memory that is
// already faulted in.
//
// Why: a batch of 4,096 records is ~3 MB. Allocated fresh for every
// hand-over, its pages are faulted in and zeroed by the kernel as records
// are moved in, and returned when the consumer frees it: measured with
// `perf record -e page-faults` on `loupe run` under load, nearly every page
// fault of the process (the kernel's share of its CPU was ~9% under HTTP,
// ~21% under pipelined Redis) came from moving records into such fresh
// vectors. A pooled vector keeps its pages.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "core/record.h"

namespace loupe {

class RecordBatchPool {
 public:
  // Keeps at most `max_spares` vectors and, across them, the resident room
  // of at most `max_records` records (a vector keeps the pages of the most
  // records it ever held; one over the budget keeps its last fill's only).
  // The agent hands a batch over every 50 ms (or when full) and the ingest
  // writer gives a round's back at once (every 200 ms and more), so the
  // pool holds a round's batches while the pump takes them one by one.
  explicit RecordBatchPool(size_t max_spares = 64, size_t max_records = 32768)
      : max_spares_(max_spares), max_records_(max_records) {}

  // An empty vector with room for at least `capacity` records: a spare when
  // there is one, else a new one.
  std::vector<Record> take(size_t capacity);
  // A batch whose records were consumed (moved from or not): cleared and
  // kept for take() when its resident room fits the budget (or its last
  // fill's, the rest released), else left to the caller to free.
  void give(std::vector<Record>&& batch);

 private:
  const size_t max_spares_, max_records_;
  std::mutex mu_;
  struct Spare {
    std::vector<Record> batch;
    size_t touched = 0;  // records' room resident when given back
  };
  std::vector<Spare> spares_;
  size_t touched_ = 0;  // across spares_
};

}  // namespace loupe
