// The records of one store batch, seen where their producers left them: one
// or more runs (vectors the agent or remote senders handed over), indexed
// as one sequence (index 0 is the first run's first record, then the rest
// of that run, then the next run's).
//
// Why not one vector: the ingest writer's round is several handed-over
// vectors (the agent hands one over every 50 ms, a round is 200 ms), and
// moving every ~730-byte record into one vector before resolving them cost
// `loupe run` ~7% of its CPU (12% without the profiler's threads; perf,
// nginx under wrk). Viewing them in place costs a binary search over a few
// runs per indexed access, and nothing when there is one run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "core/record.h"

namespace loupe::store {

class BatchRecords {
 public:
  BatchRecords() = default;
  // One run (implicit: a store or resolver given a vector or span sees
  // its records in order, as before).
  BatchRecords(std::span<const Record> records) { append(records); }  // NOLINT
  BatchRecords(const std::vector<Record>& records)                    // NOLINT
      : BatchRecords(std::span<const Record>(records)) {}

  // Adds a run after the others (an empty one is skipped). The records must
  // outlive this view and every copy of it.
  void append(std::span<const Record> run) {
    if (run.empty()) return;
    runs_.push_back(run);
    size_ += run.size();
    ends_.push_back(size_);
  }
  void clear() {
    runs_.clear();
    ends_.clear();
    size_ = 0;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Record& operator[](size_t i) const {
    if (runs_.size() == 1) return runs_.front()[i];
    size_t run =
        static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), i) - ends_.begin());
    return runs_[run][i - (ends_[run] - runs_[run].size())];
  }
  // The runs in order, for a pass over every record without an indexed
  // lookup per record.
  const std::vector<std::span<const Record>>& runs() const { return runs_; }

 private:
  std::vector<std::span<const Record>> runs_;
  std::vector<size_t> ends_;  // ends_[k]: index one past run k's last record
  size_t size_ = 0;
};

}  // namespace loupe::store
