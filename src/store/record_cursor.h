// The records of a resolved batch's rows, found by walking its runs rather
// than searching them: rows come in two ascending sequences of indexes
// (the resolver's server records, then its client records), so the next
// row's record is nearly always in the run of the last one or the next.
//
// Why: BatchRecords::operator[] searches the round's ~30-40 runs for every
// index, and the store's row loop and the request metrics asked it for
// every row (a search per row and pass, on the ingest writer's thread).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/record.h"
#include "store/batch_records.h"

namespace loupe::store {

class RecordCursor {
 public:
  explicit RecordCursor(const BatchRecords& records) : runs_(records.runs()) {}

  // records[i], as BatchRecords::operator[] (i < records.size()).
  const Record& operator[](size_t i) {
    if (i < first_ || i >= first_ + runs_[run_].size()) seek(i);
    return runs_[run_][i - first_];
  }

 private:
  void seek(size_t i) {
    if (i < first_) {  // back to the start: the next ascending sequence
      run_ = 0;
      first_ = 0;
    }
    while (i >= first_ + runs_[run_].size()) {
      first_ += runs_[run_].size();
      ++run_;
    }
  }

  const std::vector<std::span<const Record>>& runs_;
  size_t run_ = 0;
  size_t first_ = 0;  // the index of runs_[run_]'s first record
};

}  // namespace loupe::store
