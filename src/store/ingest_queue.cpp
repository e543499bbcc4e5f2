#include "store/ingest_queue.h"

#include <algorithm>

#include "core/time_format.h"

namespace loupe::store {

namespace {
constexpr uint64_t kNsPerMinute = 60'000'000'000ULL;
}

struct IngestQueue::Ticket {
  enum class State { Queued, Writing, Done } state = State::Queued;
  CommitResult result;
};

IngestQueue::IngestQueue(Store& store, IngestOptions options)
    : store_(store), options_(options), writer_([this] { run(); }) {}

IngestQueue::~IngestQueue() { stop(); }

size_t IngestQueue::push(std::vector<Record>&& batch) {
  const size_t total = batch.size();
  if (total == 0) return 0;
  size_t fit = 0;
  bool batch_ready = false;
  {
    std::lock_guard lock(mu_);
    // Take records in order while both budgets hold, in entries of at most
    // one store transaction each.
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
      enqueue_locked(std::move(chunk), chunk_bytes);
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
    batch_ready = queued_ >= options_.max_batch_records;
  }
  accepted_ += fit;
  // The writer only acts on a full batch before its flush interval: waking
  // it for every push (the agent hands over after every 5 ms drain) would
  // cost a context switch per push for nothing.
  if (batch_ready) wake_.notify_one();
  return fit;
}

CommitResult IngestQueue::commit(std::vector<Record>&& batch, std::chrono::milliseconds timeout) {
  if (batch.empty()) return {};
  size_t n = batch.size();
  size_t bytes = 0;
  for (const Record& r : batch) bytes += memory_bytes(r);
  auto ticket = std::make_shared<Ticket>();
  std::unique_lock lock(mu_);
  if (stopping_) {
    refused_ += n;
    return {CommitOutcome::Stopped, {}};
  }
  bool fits =
      queued_ + n <= options_.capacity_records && queued_bytes_ + bytes <= options_.capacity_bytes;
  if (!fits && !queue_.empty()) {
    refused_ += n;
    return {CommitOutcome::QueueFull, {}};
  }
  enqueue_locked(std::move(batch), bytes, ticket);
  accepted_ += n;
  // Someone is waiting: write now rather than at the next interval. Under
  // load the writer is busy anyway and the next commit carries every batch
  // queued meanwhile (group commit).
  flush_requested_ = true;
  wake_.notify_one();
  bool done =
      drained_.wait_for(lock, timeout, [&] { return ticket->state == Ticket::State::Done; });
  if (done) {
    if (ticket->result.outcome != CommitOutcome::Committed) refused_ += n;
    return ticket->result;
  }
  if (ticket->state == Ticket::State::Queued) {
    // Not taken yet: take it back, so a retry of the sender cannot store it twice.
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Entry& e) { return e.ticket == ticket; });
    if (it != queue_.end()) {
      queued_ -= it->records.size();
      queued_bytes_ -= it->bytes;
      queue_.erase(it);
    }
  }
  refused_ += n;
  return {CommitOutcome::TimedOut, {}};
}

void IngestQueue::enqueue_locked(std::vector<Record>&& records, size_t bytes,
                                 std::shared_ptr<Ticket> ticket) {
  queued_ += records.size();
  queued_bytes_ += bytes;
  queue_.push_back({std::move(records), bytes, ++pushed_seq_, std::move(ticket)});
}

void IngestQueue::count_lost_records_locked(std::vector<Record>::const_iterator first,
                                            std::vector<Record>::const_iterator last) {
  // Records of one batch are mostly of the same minute: one map lookup per run.
  while (first != last) {
    uint64_t minute = first->start_ns / kNsPerMinute;
    uint64_t n = 0;
    for (; first != last && first->start_ns / kNsPerMinute == minute; ++first) ++n;
    LossMinute& m = losses_[minute];
    m.minute_s = minute * 60;
    m.records += n;
  }
}

void IngestQueue::count_lost_events(uint64_t at_ns, uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(mu_);
  uint64_t minute = at_ns / kNsPerMinute;
  LossMinute& m = losses_[minute];
  m.minute_s = minute * 60;
  m.events += n;
}

void IngestQueue::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = pushed_seq_;
  // A whole writer round that starts after this call also stores the loss
  // counts pending now.
  uint64_t round = rounds_ + (in_flight_ ? 2 : 1);
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
  drained_.notify_all();
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

void IngestQueue::write_losses(std::map<uint64_t, LossMinute>& losses) {
  if (losses.empty()) return;
  std::vector<LossMinute> rows;
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
      LossMinute& kept = losses_[minute];
      kept.minute_s = m.minute_s;
      kept.records += m.records;
      kept.events += m.events;
    }
    losses.clear();
  }
}

void IngestQueue::run() {
  auto next_retention = std::chrono::steady_clock::now();
  // Kept across rounds with its capacity: records are moved into memory
  // already faulted in, once, instead of into a vector grown by doubling.
  std::vector<Record> batch;
  std::vector<std::shared_ptr<Ticket>> tickets;          // commit() entries in `batch`
  std::vector<std::pair<size_t, size_t>> pushed_ranges;  // push() entries in `batch`
  std::map<uint64_t, LossMinute> losses;
  for (;;) {
    uint64_t last_seq = 0;
    bool stop_now = false;
    {
      std::unique_lock lock(mu_);
      // Wait for a full batch, the flush interval, a flush/commit, or stop.
      // Waiting for the interval rather than writing every push keeps
      // transactions large.
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stopping_ || flush_requested_ || queued_ >= options_.max_batch_records;
      });
      flush_requested_ = false;
      batch.clear();
      tickets.clear();
      pushed_ranges.clear();
      size_t taking = 0;
      for (const Entry& e : queue_) {
        if (taking >= options_.max_batch_records) break;
        taking += e.records.size();
      }
      batch.reserve(taking);
      while (!queue_.empty() && batch.size() < options_.max_batch_records) {
        Entry& front = queue_.front();
        queued_ -= front.records.size();
        queued_bytes_ -= front.bytes;
        size_t first = batch.size();
        batch.insert(batch.end(), std::make_move_iterator(front.records.begin()),
                     std::make_move_iterator(front.records.end()));
        if (front.ticket) {
          front.ticket->state = Ticket::State::Writing;
          tickets.push_back(std::move(front.ticket));
        } else {
          pushed_ranges.emplace_back(first, batch.size());
        }
        last_seq = front.seq;
        queue_.pop_front();
      }
      in_flight_ = !batch.empty();
      losses.swap(losses_);
      stop_now = stopping_ && queue_.empty();
    }
    CommitResult result;
    if (!batch.empty()) {
      try {
        store_.write_batch(batch);
        written_ += batch.size();
      } catch (const std::exception& e) {
        write_errors_++;
        result = {CommitOutcome::StoreFailed, e.what()};
        // The capture path's records are lost (counted per minute); a
        // commit()'s sender keeps its batch and sends it again.
        std::lock_guard lock(mu_);
        last_error_ = e.what();
        for (auto [first, last] : pushed_ranges) {
          count_lost_records_locked(batch.begin() + first, batch.begin() + last);
          write_dropped_ += last - first;
        }
      }
    }
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
    {
      std::lock_guard lock(mu_);
      for (const auto& t : tickets) {
        t->result = result;
        t->state = Ticket::State::Done;
      }
      if (last_seq) done_seq_ = last_seq;
      in_flight_ = false;
      ++rounds_;
      if (stop_now) exited_ = true;
    }
    drained_.notify_all();
    if (stop_now) return;
  }
}

}  // namespace loupe::store
