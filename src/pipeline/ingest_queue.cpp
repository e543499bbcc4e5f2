#include "pipeline/ingest_queue.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/burst_yield.h"
#include "core/thread_name.h"
#include "core/time_format.h"

namespace loupe::pipeline {

namespace {
constexpr uint64_t kNsPerMinute = 60'000'000'000ULL;
}

struct IngestQueue::Ticket {
  enum class State { Queued, Writing, Done } state = State::Queued;
  std::optional<BatchKey> key;
  bool hold = false;
  uint64_t arrived_ns = 0;
  size_t records = 0;
  std::chrono::steady_clock::time_point deadline;
  CommitDone done;  // runs once, outside the lock
};

// What the writer took in one round, and what it does with it.
struct IngestQueue::Round {
  std::vector<Entry> entries;
  std::vector<CommitResult> results;  // per entry (commit_async entries)
  std::vector<bool> duplicate;        // per entry: its key is stored already
  std::vector<Entry> retry;           // release() entries whose write failed
  uint64_t last_seq = 0;
};

IngestQueue::IngestQueue(store::Store& store, IngestOptions options)
    : store_(store),
      options_(options),
      pipeline_(store, options_.pipeline),
      wake_at_records_(options_.max_batch_records),
      writer_([this] {
        name_this_thread("loupe-ingest");
        // The resolver and the encoder step it per record: a round of a
        // saturated host's records is ~5 ms (core/burst_yield.h).
        BurstYield bursts;
        install_burst_yield(&bursts);
        run();
        install_burst_yield(nullptr);
      }),
      expirer_([this] {
        name_this_thread("loupe-expire");
        expire_loop();
      }) {}

IngestQueue::~IngestQueue() { stop(); }

size_t IngestQueue::push(std::vector<Record>&& batch, size_t bytes) {
  const size_t total = batch.size();
  if (total == 0) return 0;
  size_t fit = 0;
  bool batch_ready = false;
  {
    std::lock_guard lock(mu_);
    // The agent's batches (4,096 records at most) fit whole while the
    // writer keeps up: taken with the bytes the agent counted, not
    // memory_bytes of every record again on the pump (docs/benchmarks.md,
    // "issue 14, runcpu6").
    if (!stopping_ && total <= options_.max_batch_records &&
        queued_ + total <= options_.capacity_records &&
        queued_bytes_ + bytes <= options_.capacity_bytes) {
      enqueue_locked({std::move(batch), bytes});
      fit = total;
    } else {
      fit = take_locked(batch);
    }
    batch_ready = queued_ >= wake_at_records_;
  }
  accepted_ += fit;
  // The writer only acts on a full round before its interval: waking it
  // for every push (the agent hands over every 50 ms) would cost a context
  // switch per push for nothing.
  if (batch_ready) wake_.notify_one();
  return fit;
}

size_t IngestQueue::take_locked(std::vector<Record>& batch) {
  const size_t total = batch.size();
  size_t fit = 0;
  size_t records = queued_, bytes = queued_bytes_;
  size_t chunk_start = 0, chunk_bytes = 0;
  auto flush_chunk = [&](size_t end) {
    if (end == chunk_start) return;
    std::vector<Record> chunk;
    if (chunk_start == 0 && end == total) {
      chunk = std::move(batch);
    } else {
      chunk.assign(std::make_move_iterator(batch.begin() + chunk_start),
                   std::make_move_iterator(batch.begin() + end));
    }
    enqueue_locked({std::move(chunk), chunk_bytes});
    chunk_start = end;
    chunk_bytes = 0;
  };
  if (!stopping_) {
    for (; fit < total; ++fit) {
      size_t b = memory_bytes(batch[fit]);
      if (records + 1 > options_.capacity_records || bytes + b > options_.capacity_bytes) break;
      ++records;
      bytes += b;
      chunk_bytes += b;
      if (fit + 1 - chunk_start == options_.max_batch_records) flush_chunk(fit + 1);
    }
  }
  if (fit < total) {
    count_lost_records_locked(batch.begin() + fit, batch.end());
    dropped_ += total - fit;
  }
  flush_chunk(fit);  // may move `batch` away: after the drop accounting
  return fit;
}

std::shared_ptr<IngestQueue::Ticket> IngestQueue::submit(RemoteBatch&& batch,
                                                         std::chrono::milliseconds timeout,
                                                         CommitDone done) {
  size_t n = batch.records.size();
  size_t bytes = records_bytes(batch.records);
  auto ticket = std::make_shared<Ticket>();
  ticket->key = std::move(batch.key);
  ticket->hold = batch.hold;
  ticket->arrived_ns = batch.arrived_ns;
  ticket->records = n;
  ticket->deadline = Clock::now() + timeout;
  ticket->done = std::move(done);
  std::optional<CommitResult> refused;
  bool kick_expirer = false;
  {
    std::lock_guard lock(mu_);
    bool fits = queued_ + n <= options_.capacity_records &&
                queued_bytes_ + bytes <= options_.capacity_bytes;
    if (stopping_) {
      refused = CommitResult{CommitOutcome::Stopped};
    } else if (!fits && !queue_.empty()) {
      refused = CommitResult{CommitOutcome::QueueFull};
    } else {
      enqueue_locked({std::move(batch.records), bytes, 0, ticket});
      accepted_ += n;
      if (ticket->deadline < expirer_until_) {
        expirer_until_ = ticket->deadline;
        expirer_kicked_ = kick_expirer = true;
      }
      // Someone is waiting: write now rather than at the next interval.
      // Under load the writer is busy anyway and the next commit carries
      // every batch queued meanwhile (group commit).
      flush_requested_ = true;
    }
    if (refused) {
      refused_ += n;
      ticket->state = Ticket::State::Done;
    }
  }
  if (refused) {
    auto cb = std::move(ticket->done);
    if (cb) cb(std::move(*refused));
    return ticket;
  }
  if (kick_expirer) expirer_wake_.notify_one();
  wake_.notify_one();
  return ticket;
}

void IngestQueue::commit_async(RemoteBatch batch, std::chrono::milliseconds timeout,
                               CommitDone done) {
  if (batch.records.empty() && !batch.key && !batch.hold) {
    done(CommitResult{});
    return;
  }
  submit(std::move(batch), timeout, std::move(done));
}

CommitResult IngestQueue::commit(RemoteBatch batch, std::chrono::milliseconds timeout) {
  if (batch.records.empty() && !batch.key && !batch.hold) return {};
  struct Outcome {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<CommitResult> result;
  };
  auto out = std::make_shared<Outcome>();
  auto ticket = submit(std::move(batch), timeout, [out](CommitResult r) {
    std::lock_guard lock(out->mu);
    out->result = std::move(r);
    out->cv.notify_all();
  });
  {
    std::unique_lock lock(out->mu);
    if (out->cv.wait_for(lock, timeout, [&] { return out->result.has_value(); }))
      return std::move(*out->result);
  }
  std::unique_lock lock(mu_);
  // Not taken yet: take it back, so a retry of the sender cannot store it
  // twice. Taken: it may land later (a keyed batch is then stored once).
  if (withdraw_locked(ticket)) return {CommitOutcome::TimedOut};
  lock.unlock();
  std::unique_lock done_lock(out->mu);
  if (out->result) return std::move(*out->result);
  return {CommitOutcome::TimedOut};
}

void IngestQueue::release(std::vector<Record>&& records, std::vector<uint64_t> held_ids,
                          size_t bytes) {
  if (records.empty() && held_ids.empty()) return;
  {
    std::lock_guard lock(mu_);
    accepted_ += records.size();
    enqueue_locked({std::move(records), bytes, 0, nullptr, std::move(held_ids)});
  }
  wake_.notify_one();
}

bool IngestQueue::withdraw_locked(const std::shared_ptr<Ticket>& ticket) {
  if (ticket->state != Ticket::State::Queued) return false;
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&](const Entry& e) { return e.ticket == ticket; });
  if (it == queue_.end()) return false;
  queued_ -= it->records.size();
  queued_bytes_ -= it->bytes;
  queue_.erase(it);
  ticket->state = Ticket::State::Done;
  refused_ += ticket->records;
  return true;
}

std::vector<std::shared_ptr<IngestQueue::Ticket>> IngestQueue::expire_locked() {
  std::vector<std::shared_ptr<Ticket>> expired;
  auto now = std::chrono::steady_clock::now();
  for (const Entry& e : queue_)
    if (e.ticket && e.ticket->deadline <= now) expired.push_back(e.ticket);
  for (const auto& t : expired) withdraw_locked(t);
  return expired;
}

void IngestQueue::enqueue_locked(Entry entry) {
  queued_ += entry.records.size();
  queued_bytes_ += entry.bytes;
  entry.seq = ++pushed_seq_;
  queue_.push_back(std::move(entry));
}

void IngestQueue::count_lost_records_locked(std::vector<Record>::const_iterator first,
                                            std::vector<Record>::const_iterator last) {
  // Records of one batch are mostly of the same minute: one map lookup per run.
  while (first != last) {
    uint64_t minute = first->start_ns / kNsPerMinute;
    uint64_t n = 0;
    for (; first != last && first->start_ns / kNsPerMinute == minute; ++first) ++n;
    store::LossMinute& m = losses_[minute];
    m.minute_s = minute * 60;
    m.records += n;
  }
}

void IngestQueue::count_lost_events(uint64_t at_ns, uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(mu_);
  uint64_t minute = at_ns / kNsPerMinute;
  store::LossMinute& m = losses_[minute];
  m.minute_s = minute * 60;
  m.events += n;
}

void IngestQueue::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = pushed_seq_;
  // A whole writer round that starts after this call also stores the loss
  // counts pending now. Not the one being written, even with no entries:
  // it took the loss counts before those counted since.
  uint64_t round = rounds_ + (round_taken_ ? 2 : 1);
  flush_requested_ = true;
  wake_.notify_one();
  drained_.wait(lock, [&] {
    return exited_ ||
           (rounds_ >= round && (done_seq_ >= target || (queue_.empty() && !in_flight_)));
  });
}

void IngestQueue::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  expirer_wake_.notify_all();
  if (expirer_.joinable()) expirer_.join();
  drained_.notify_all();
}

void IngestQueue::expire_loop() {
  std::unique_lock lock(mu_);
  while (!exited_) {
    // Until the earliest queued commit's deadline, or until submit() queues
    // an earlier one: no wakeups while only the capture path pushes (it has
    // no deadlines). A 20 ms tick here was 45 wakeups and ~3 ms of CPU a
    // second of `loupe run` (docs/benchmarks.md, "issue 14, paced").
    expirer_until_ = Clock::time_point::max();
    for (const Entry& e : queue_)
      if (e.ticket) expirer_until_ = std::min(expirer_until_, e.ticket->deadline);
    auto woken = [&] { return exited_ || expirer_kicked_; };
    if (expirer_until_ == Clock::time_point::max())
      expirer_wake_.wait(lock, woken);
    else
      expirer_wake_.wait_until(lock, expirer_until_, woken);
    expirer_kicked_ = false;
    auto expired = expire_locked();
    if (expired.empty()) continue;
    lock.unlock();
    for (const auto& t : expired)
      if (t->done) std::exchange(t->done, nullptr)(CommitResult{CommitOutcome::TimedOut});
    lock.lock();
  }
}

IngestStats IngestQueue::stats() const {
  IngestStats s;
  s.accepted = accepted_;
  s.dropped = dropped_;
  s.write_dropped = write_dropped_;
  s.refused = refused_;
  s.written = written_;
  s.write_errors = write_errors_;
  std::lock_guard lock(mu_);
  s.queued = queued_;
  s.queued_bytes = queued_bytes_;
  s.last_error = last_error_;
  return s;
}

void IngestQueue::write_losses(std::map<uint64_t, store::LossMinute>& losses) {
  if (losses.empty()) return;
  std::vector<store::LossMinute> rows;
  rows.reserve(losses.size());
  for (const auto& [minute, m] : losses) rows.push_back(m);
  try {
    store_.write_losses(rows);
    losses.clear();
  } catch (const std::exception& e) {
    // Keep them for the next round: one row per minute, so this stays small
    // even through a long store outage.
    std::lock_guard lock(mu_);
    last_error_ = e.what();
    for (const auto& [minute, m] : losses) {
      store::LossMinute& kept = losses_[minute];
      kept.minute_s = m.minute_s;
      kept.records += m.records;
      kept.events += m.events;
    }
    losses.clear();
  }
}

void IngestQueue::write_round(Round& round) {
  // The round's records stay in the vectors they were handed over in; the
  // pipeline sees them as one batch. Moving them into one vector first
  // cost ~7% of `loupe run`'s CPU (store/batch_records.h).
  store::BatchRecords& batch = batch_;
  batch.clear();
  std::vector<store::HeldBatch> held;
  std::vector<size_t> held_entry;  // entry index of each held batch
  store::IngestBookkeeping book;
  size_t n = round.entries.size();
  round.results.assign(n, CommitResult{});
  round.duplicate.assign(n, false);
  CommitResult failure;
  try {
    std::set<BatchKey> keys;  // of this round
    for (size_t i = 0; i < n; ++i) {
      Entry& e = round.entries[i];
      if (e.ticket && e.ticket->key) {
        const BatchKey& key = *e.ticket->key;
        if (keys.contains(key) || store_.has_batch(key)) {
          round.duplicate[i] = true;
          continue;
        }
        keys.insert(key);
        book.batches.push_back(key);
      }
      if (e.ticket && e.ticket->hold) {
        held.push_back({0, e.ticket->arrived_ns, std::move(e.records)});
        held_entry.push_back(i);
        continue;
      }
      batch.append(e.records);
      book.released.insert(book.released.end(), e.released.begin(), e.released.end());
    }
    for (store::HeldBatch& h : held) book.hold.push_back(&h);
    bool bookkeeping = !book.batches.empty() || !book.hold.empty() || !book.released.empty();
    if (!batch.empty() || bookkeeping) {
      pipeline_.write(batch, bookkeeping ? &book : nullptr);
      written_ += batch.size();
    }
  } catch (const std::exception& e) {
    write_errors_++;
    failure = {CommitOutcome::StoreFailed, e.what()};
    // The capture path's records are lost (counted per minute); a commit's
    // sender keeps its batch and sends it again; released records were
    // acknowledged and wait in the store's held batches, so they go back
    // to the front of the queue for the next round.
    std::lock_guard lock(mu_);
    last_error_ = e.what();
    for (Entry& entry : round.entries) {
      if (entry.ticket) continue;
      if (!entry.released.empty()) {
        round.retry.push_back(std::move(entry));
        continue;
      }
      count_lost_records_locked(entry.records.begin(), entry.records.end());
      write_dropped_ += entry.records.size();
    }
  }
  batch.clear();  // points into the entries' vectors, given back below
  for (size_t i = 0; i < n; ++i) {
    if (!round.entries[i].ticket) continue;
    if (round.duplicate[i])
      round.results[i].duplicate = true;
    else if (failure.outcome != CommitOutcome::Committed)
      round.results[i] = failure;
  }
  if (failure.outcome == CommitOutcome::Committed)
    for (size_t h = 0; h < held.size(); ++h) round.results[held_entry[h]].held = std::move(held[h]);
  // The entries' vectors, their records written, go back to be filled
  // again (by the agent, or by the server decoding the next remote batch).
  // Held and retried entries' records have moved on, leaving nothing to
  // give.
  if (options_.spent_batches)
    for (Entry& e : round.entries) options_.spent_batches->give(std::move(e.records));
}

void IngestQueue::run() {
  auto next_retention = std::chrono::steady_clock::now();
  std::map<uint64_t, store::LossMinute> losses;
  bool slow_rate = false;  // the last round waited past flush_interval for its records
  for (;;) {
    Round round;
    bool stop_now = false;
    {
      std::unique_lock lock(mu_);
      // Wait for a full round, the flush interval, a flush/commit, or stop;
      // past the interval, for min_round_records up to max_flush_interval
      // (IngestOptions). Waiting rather than writing every push keeps
      // transactions large.
      // After a round that waited past the interval for its records (the
      // rate is below min_round_records an interval), the next one waits
      // for them from the start: the interval's wakeup would find too few
      // again (5 of the writer's ~22 wakeups a second at a paced 10k
      // req/s). Such a round written before the interval (the rate rose)
      // is smaller than an interval's; the one after it waits the interval.
      auto waited_from = std::chrono::steady_clock::now();
      auto ready = [&] { return stopping_ || flush_requested_ || queued_ >= wake_at_records_; };
      auto wait_for_min_round = [&] {
        wake_at_records_ = std::min(options_.min_round_records, options_.max_batch_records);
        wake_.wait_until(lock, waited_from + options_.max_flush_interval, ready);
      };
      if (slow_rate) {
        wait_for_min_round();
        slow_rate = std::chrono::steady_clock::now() - waited_from >= options_.flush_interval;
      } else if (!wake_.wait_for(lock, options_.flush_interval, ready) &&
                 queued_ < options_.min_round_records) {
        wait_for_min_round();
        slow_rate = true;
      }
      wake_at_records_ = options_.max_batch_records;
      flush_requested_ = false;
      size_t records = 0;
      while (!queue_.empty() && records < options_.max_batch_records) {
        Entry& front = queue_.front();
        queued_ -= front.records.size();
        queued_bytes_ -= front.bytes;
        records += front.records.size();
        if (front.ticket) front.ticket->state = Ticket::State::Writing;
        round.last_seq = front.seq;
        round.entries.push_back(std::move(front));
        queue_.pop_front();
      }
      in_flight_ = !round.entries.empty();
      round_taken_ = true;
      losses.swap(losses_);
      stop_now = stopping_ && queue_.empty();
    }
    if (!round.entries.empty()) write_round(round);
    write_losses(losses);
    auto now = std::chrono::steady_clock::now();
    if (now >= next_retention) {
      try {
        store_.enforce_retention(now_unix_ns());
      } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        last_error_ = e.what();
      }
      next_retention = now + options_.retention_interval;
    }
    std::vector<std::pair<std::shared_ptr<Ticket>, CommitResult>> answers;
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < round.entries.size(); ++i) {
        const auto& t = round.entries[i].ticket;
        if (!t) continue;
        if (round.results[i].outcome != CommitOutcome::Committed) refused_ += t->records;
        t->state = Ticket::State::Done;
        answers.emplace_back(t, std::move(round.results[i]));
      }
      // Failed releases go back to the front, in their order. When
      // stopping they stay where they are safe, in the store's held
      // batches, replayed on the next start.
      if (stopping_) round.retry.clear();
      for (auto it = round.retry.rbegin(); it != round.retry.rend(); ++it) {
        queued_ += it->records.size();
        queued_bytes_ += it->bytes;
        queue_.push_front(std::move(*it));
      }
      if (round.last_seq) done_seq_ = round.last_seq;
      in_flight_ = false;
      round_taken_ = false;
      ++rounds_;
      if (stop_now) exited_ = true;
    }
    for (auto& [t, result] : answers)
      if (t->done) std::exchange(t->done, nullptr)(std::move(result));
    drained_.notify_all();
    if (stop_now) return;
  }
}

}  // namespace loupe::pipeline
