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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/record.h"

namespace loupe {

struct RecordBatchPoolStats {
  size_t spares = 0;         // vectors kept now
  size_t spare_records = 0;  // their resident room, in records
  uint64_t released = 0;     // spares freed as not needed for a window
};

nlohmann::json to_json(const RecordBatchPoolStats& s);

class RecordBatchPool {
 public:
  using Clock = std::chrono::steady_clock;

  // Keeps at most `max_spares` vectors and, across them, the resident room
  // of at most `max_records` records (a vector keeps the pages of the most
  // records it ever held; one over the budget keeps its last fill's only).
  // The agent hands a batch over every 50 ms (or when full) and the ingest
  // writer gives a round's back at once (every 100 ms and more), so the
  // pool holds a round's batches while the pump takes them one by one.
  //
  // Spares no take() needed for a whole `release_window` are freed: the
  // fewest spares the pool held during a window were never taken in it, so
  // that many (the longest unused) go back to the system when the window
  // ends. Within the budget, the vectors a burst added (the writer behind
  // at a connection ramp gives a backlog's vectors back at once) would stay
  // resident for good, beside the ones the steady state cycles; a window
  // longer than the writer's rounds keeps those. Likewise a spare keeps
  // resident only the room that batches of this window or the last one
  // filled. `now`: for tests.
  explicit RecordBatchPool(size_t max_spares = 64, size_t max_records = 32768,
                           std::chrono::milliseconds release_window = std::chrono::seconds(2),
                           std::function<Clock::time_point()> now = Clock::now)
      : max_spares_(max_spares),
        max_records_(max_records),
        release_window_(release_window),
        now_(std::move(now)),
        window_start_(now_()) {}

  // An empty vector with room for at least `capacity` records: a spare when
  // there is one, else a new one.
  std::vector<Record> take(size_t capacity);
  // A batch whose records were consumed (moved from or not): cleared and
  // kept for take() when its resident room fits the budget (or its last
  // fill's, the rest released), else left to the caller to free. Its room
  // past the fullest recent batch's is released first.
  void give(std::vector<Record>&& batch);

  RecordBatchPoolStats stats() const;

 private:
  struct Spare {
    std::vector<Record> batch;
    size_t touched = 0;  // records' room resident when given back
  };
  // At the end of a window, the spares it never got to, taken out of the
  // pool to be freed by the caller outside the lock.
  std::vector<Spare> end_window_locked(Clock::time_point now);

  const size_t max_spares_, max_records_;
  const std::chrono::milliseconds release_window_;
  const std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::vector<Spare> spares_;  // taken from the back: the front ones are the longest unused
  size_t touched_ = 0;         // across spares_
  Clock::time_point window_start_;
  size_t fewest_ = 0;        // the fewest spares held since window_start_
  size_t fullest_ = 0;       // the most records a batch given back held since then
  size_t last_fullest_ = 0;  // the same in the window before
  uint64_t released_ = 0;
};

}  // namespace loupe
