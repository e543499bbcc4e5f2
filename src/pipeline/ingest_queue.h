// Decouples capture and remote ingest from storage: producers hand batches
// to a bounded queue, and one writer thread drains it through the record
// pipeline (pipeline/record_pipeline.h: resolve, then the Store) in large
// transactions (everything queued goes into the next commit, up to
// max_batch_records).
//
// Two ways in, for two kinds of producer:
// - push(), for the capture path (`loupe run`): never blocks, and never
//   refuses a batch because of its size. It takes as many records as fit
//   in the record and byte budgets and drops the rest, counted per minute
//   of their start time; those counts are stored (Store::write_losses) so
//   the UI marks the window as incomplete. Blocking capture instead would
//   lose kernel events, which is worse and harder to see.
// - commit_async(), for POST /api/v1/ingest: all or nothing, and it
//   answers (a callback, so no thread waits) only once the writer has
//   committed the batch (or failed, or timed out), so an HTTP 2xx means
//   "durable in the store" and anything else means "send it again". A
//   batch is admitted when it fits, or when nothing is queued at all, so no
//   batch is refused for ever because of its own size (the HTTP layer
//   bounds a request's size). An agent batch carries a key: one whose key
//   is already stored is answered Committed (duplicate) and not stored
//   again, so a batch resent after a lost answer is stored once. With
//   `hold`, the batch is kept aside durably instead (the records wait for
//   the cluster model to name them) and handed back with its held id;
//   release() later stores the named records and removes the held batch in
//   one transaction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/record.h"
#include "core/record_batch_pool.h"
#include "pipeline/record_pipeline.h"
#include "store/batch_records.h"
#include "store/store.h"

namespace loupe::pipeline {

// What push()'s and release()'s `bytes` count: the records' memory_bytes
// summed (the queue's byte budget).
inline size_t records_bytes(std::span<const Record> records) {
  size_t bytes = 0;
  for (const Record& r : records) bytes += memory_bytes(r);
  return bytes;
}

struct IngestOptions {
  size_t capacity_records = 1'000'000;  // queued records before push() drops
  size_t capacity_bytes = 1ULL << 30;   // queued memory (memory_bytes) before push() drops
  // Records per store transaction. The writer's per-record rows (the
  // resolver's, the chunks') are sized by the round, and a round's records
  // wait in their hand-over vectors until it is written: at saturation the
  // records in flight are about two rounds' (the one being written, the
  // next one queueing) and the pump's batch. 8,192 (16,384 before, the
  // record pipeline's RecordPipeline::kKeptRows; 50,000 before that) keeps
  // ~5 vectors of 4,096 records (~1.9 MB each) in that cycle instead of
  // ~9, for `loupe run`'s RSS at 10k connections (docs/benchmarks.md,
  // "issue 14, runrss4"). What a round costs whatever its size (rollup
  // cells merged with the stored ones, the commit) is paid twice as often:
  // nothing measurable with one endpoint, +10% of the writer's
  // instructions with store_bench's 200 endpoints in every round.
  size_t max_batch_records = 8'192;
  // A round every flush_interval (or when max_batch_records are queued, or
  // a flush or commit asks); but a round of fewer than min_round_records
  // waits on for them, up to max_flush_interval: below ~41k records a
  // second rounds follow the rate. Whatever its size, a round pays a
  // commit, the WAL frames of every page it dirtied (the chunk and rollup
  // tables' and their indexes' pages again each round), the rollup cells
  // merged with the stored ones, and a wakeup: at a paced 10k req/s (21k
  // records a second) 10 rounds of ~2,100 records a second cost the
  // writer ~20% more CPU than ~5 of ~4,100 (docs/benchmarks.md, "issue
  // 14, runpaced"). Not rounds of 8,192 at every rate: between 16k and
  // 82k records a second those held more records in flight than before,
  // and bench/rss_connections.sh on a loaded host (~42k records a second)
  // peaked 4-5 MiB higher. With min_round_records a round never holds
  // more than 100 ms rounds did at 41k records a second. After a round
  // that waited past flush_interval, the next one waits for
  // min_round_records from the start (no wakeup at flush_interval that
  // finds too few again). Idle, the writer wakes every max_flush_interval.
  // That stays below the "stored count unchanged for 0.9 s" that
  // bench/overhead.sh and the e2e tests take for settled.
  std::chrono::milliseconds flush_interval{100};
  size_t min_round_records = 4'096;
  std::chrono::milliseconds max_flush_interval{500};
  std::chrono::seconds retention_interval{60};  // how often enforce_retention runs
  // Where batches go once written, back to their producer (the agent, or
  // the server decoding remote batches) to be filled again; null: they are
  // freed.
  std::shared_ptr<RecordBatchPool> spent_batches;
  // How the writer's record pipeline names records, and who it tells.
  PipelineOptions pipeline;
};

struct IngestStats {
  uint64_t accepted = 0;       // records taken into the queue
  uint64_t dropped = 0;        // push(): records that did not fit (queue full, or stopped)
  uint64_t write_dropped = 0;  // push(): records lost in a failed store transaction
  uint64_t refused = 0;        // commit(): records refused or not committed (the sender retries)
  uint64_t written = 0;        // records committed to the store
  uint64_t write_errors = 0;   // failed store transactions
  uint64_t queued = 0;         // records waiting now
  uint64_t queued_bytes = 0;   // their memory
  std::string last_error;      // the last store error, for /api/v1/status
};

// What became of a commit() batch.
enum class CommitOutcome {
  Committed,    // durable in the store
  QueueFull,    // not admitted: the store is behind; nothing was kept
  StoreFailed,  // the store's transaction failed (e.g. disk full); nothing was kept
  TimedOut,     // not committed in time; dropped if still queued, else may land later
  Stopped,      // the queue is shutting down; nothing was kept
};

struct CommitResult {
  CommitOutcome outcome = CommitOutcome::Committed;
  std::string error;       // for StoreFailed: the store's message
  bool duplicate = false;  // Committed: its key was stored already, nothing was written
  store::HeldBatch held;   // Committed with `hold`: the batch, its id assigned
};

// One remote batch for commit_async().
struct RemoteBatch {
  std::vector<Record> records;
  std::optional<BatchKey> key;  // the agent's name for it, to store it once
  bool hold = false;            // keep aside unnamed (store::HeldBatch) instead of storing
  uint64_t arrived_ns = 0;      // for `hold`
};

using CommitDone = std::function<void(CommitResult)>;

class IngestQueue {
 public:
  // Seeds the record pipeline from `store` (throws StoreError) and starts
  // the writer thread.
  IngestQueue(store::Store& store, IngestOptions options = {});
  ~IngestQueue();  // stops: drains what is queued, then joins
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // Capture path. Never blocks on the store. Takes the records that fit,
  // in order, and drops (and counts) the rest. Returns how many it took.
  // `bytes`: the batch's records' memory_bytes summed, which the agent
  // counts as it builds the batch: a batch that fits whole is then taken
  // without reading every record again on the pump thread.
  size_t push(std::vector<Record>&& batch, size_t bytes);
  size_t push(std::vector<Record>&& batch) {
    size_t bytes = records_bytes(batch);
    return push(std::move(batch), bytes);
  }

  // Remote ingest, without waiting: `done` runs once with the outcome, on
  // the writer thread after the commit, or on this thread when the batch is
  // not admitted. A batch still queued after `timeout` is taken back
  // (TimedOut, never written). An empty batch without key or hold is
  // Committed at once.
  void commit_async(RemoteBatch batch, std::chrono::milliseconds timeout, CommitDone done);
  // The same, blocking until the outcome or `timeout` (then TimedOut: taken
  // back if still queued, else it may land later).
  CommitResult commit(RemoteBatch batch, std::chrono::milliseconds timeout);
  CommitResult commit(std::vector<Record>&& batch, std::chrono::milliseconds timeout) {
    return commit(RemoteBatch{.records = std::move(batch)}, timeout);
  }

  // Records of held batches, named now: stored together with the removal
  // of those held batches, in one transaction. Never refused or dropped
  // (they were acknowledged); a failed write is retried. `bytes` as push's.
  void release(std::vector<Record>&& records, std::vector<uint64_t> held_ids, size_t bytes);

  // Kernel events lost before parsing (the ring buffer was full) around
  // `at_ns`: stored per minute with the dropped records.
  void count_lost_events(uint64_t at_ns, uint64_t n);

  // Blocks until everything queued before the call is written and pending
  // loss counts are stored (tests, shutdown).
  void flush();
  // Drains and joins the writer; later batches are dropped. Idempotent.
  void stop();

  IngestStats stats() const;

 private:
  struct Ticket;  // a commit() batch's state, shared with the writer
  struct Entry {
    std::vector<Record> records;
    size_t bytes = 0;
    uint64_t seq = 0;                // position in push order, for flush()
    std::shared_ptr<Ticket> ticket;  // commit_async()'s; null for push() and release()
    std::vector<uint64_t> released;  // release(): the held batches these records end
  };
  // One writer round's entries and what became of them.
  struct Round;

  void run();
  std::shared_ptr<Ticket> submit(RemoteBatch&& batch, std::chrono::milliseconds timeout,
                                 CommitDone done);
  // Takes a ticket's entry out of the queue if the writer has not taken it
  // yet; true when it did.
  bool withdraw_locked(const std::shared_ptr<Ticket>& ticket);
  // Tickets queued past their deadline, taken out of the queue.
  std::vector<std::shared_ptr<Ticket>> expire_locked();
  void write_round(Round& round);
  void enqueue_locked(Entry entry);
  // push()'s records one by one, while both budgets hold, in entries of at
  // most one store transaction; the rest dropped and counted. How many it
  // took.
  size_t take_locked(std::vector<Record>& batch);
  void count_lost_records_locked(std::vector<Record>::const_iterator first,
                                 std::vector<Record>::const_iterator last);
  void write_losses(std::map<uint64_t, store::LossMinute>& losses);

  store::Store& store_;
  const IngestOptions options_;
  RecordPipeline pipeline_;  // the writer thread's (before it starts)

  mutable std::mutex mu_;
  std::condition_variable wake_;     // writer: work or stop
  std::condition_variable drained_;  // flush() and commit(): the writer finished a round
  std::deque<Entry> queue_;
  size_t queued_ = 0, queued_bytes_ = 0;
  uint64_t pushed_seq_ = 0, done_seq_ = 0;  // entries, for flush()
  uint64_t rounds_ = 0;                     // writer rounds finished, for flush()
  bool in_flight_ = false;                  // the writer is writing entries it took
  // The writer took a round (entries or not, and the loss counts pending
  // then) and has not finished it: a flush() now needs the round after.
  bool round_taken_ = false;
  bool stopping_ = false, exited_ = false;
  bool flush_requested_ = false;  // write now instead of waiting the interval
  // push() wakes the writer once this many records are queued:
  // max_batch_records, or min_round_records while a round waits past
  // flush_interval for them.
  size_t wake_at_records_ = 0;
  std::map<uint64_t, store::LossMinute> losses_;  // by minute, until the writer stores them
  std::string last_error_;

  // Answers commits still queued at their deadline, even while the writer
  // is stuck in a long transaction.
  void expire_loop();
  using Clock = std::chrono::steady_clock;
  std::condition_variable expirer_wake_;                        // stop, or an earlier deadline
  Clock::time_point expirer_until_ = Clock::time_point::max();  // what it waits for
  bool expirer_kicked_ = false;  // submit() queued a deadline before expirer_until_

  std::atomic<uint64_t> accepted_{0}, dropped_{0}, write_dropped_{0}, refused_{0}, written_{0},
      write_errors_{0};
  store::BatchRecords batch_;  // the writer's view of a round, reused across rounds
  std::thread writer_;
  std::thread expirer_;
};

}  // namespace loupe::pipeline
