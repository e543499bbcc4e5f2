// Decouples capture from storage: producers (the agent's event loop, the
// /api/v1/ingest handler) push batches without blocking; one writer thread
// drains the queue into the Store in large transactions. When the store
// falls behind and the queue is full, new batches are dropped and counted
// rather than stalling capture (a stalled capture path loses kernel events,
// which is worse and invisible).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/record.h"
#include "store/store.h"

namespace loupe::store {

struct IngestOptions {
  size_t capacity_records = 1'000'000;  // queued records before push() drops
  size_t max_batch_records = 50'000;    // records per store transaction
  std::chrono::milliseconds flush_interval{200};
  std::chrono::seconds retention_interval{60};  // how often enforce_retention runs
};

struct IngestStats {
  uint64_t accepted = 0;      // records accepted into the queue
  uint64_t dropped = 0;       // records rejected because the queue was full
  uint64_t written = 0;       // records committed to the store
  uint64_t write_errors = 0;  // batches the store failed to write (records lost)
  uint64_t queued = 0;        // records waiting now
  std::string last_error;     // the last store error, for /api/v1/status
};

class IngestQueue {
 public:
  // Starts the writer thread.
  IngestQueue(Store& store, IngestOptions options = {});
  ~IngestQueue();  // stops: drains what is queued, then joins
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // Never blocks on the store. False (and the whole batch counted as
  // dropped) when it does not fit. An empty batch is accepted.
  bool push(std::vector<Record>&& batch);

  // Blocks until everything pushed before the call is written (tests, shutdown).
  void flush();
  // Drains and joins the writer; later pushes are dropped. Idempotent.
  void stop();

  IngestStats stats() const;

 private:
  void run();

  Store& store_;
  const IngestOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // writer: work or stop
  std::condition_variable drained_;  // flush(): progress made
  std::deque<std::vector<Record>> queue_;
  size_t queued_ = 0;
  uint64_t pushed_seq_ = 0, written_seq_ = 0;  // batches, for flush()
  bool stopping_ = false;
  bool flush_requested_ = false;  // write now instead of waiting the interval
  std::string last_error_;

  std::atomic<uint64_t> accepted_{0}, dropped_{0}, written_{0}, write_errors_{0};
  std::thread writer_;
};

}  // namespace loupe::store
