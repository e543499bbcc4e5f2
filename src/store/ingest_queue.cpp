#include "store/ingest_queue.h"

#include "core/time_format.h"

namespace loupe::store {

IngestQueue::IngestQueue(Store& store, IngestOptions options)
    : store_(store), options_(options), writer_([this] { run(); }) {}

IngestQueue::~IngestQueue() { stop(); }

bool IngestQueue::push(std::vector<Record>&& batch) {
  if (batch.empty()) return true;
  size_t n = batch.size();
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queued_ + n > options_.capacity_records) {
      dropped_ += n;
      return false;
    }
    queued_ += n;
    queue_.push_back(std::move(batch));
    ++pushed_seq_;
  }
  accepted_ += n;
  wake_.notify_one();
  return true;
}

void IngestQueue::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = pushed_seq_;
  flush_requested_ = true;
  wake_.notify_one();
  drained_.wait(lock, [&] { return written_seq_ >= target; });
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
  s.written = written_;
  s.write_errors = write_errors_;
  std::lock_guard lock(mu_);
  s.queued = queued_;
  s.last_error = last_error_;
  return s;
}

void IngestQueue::run() {
  auto next_retention = std::chrono::steady_clock::now();
  std::vector<Record> batch;
  for (;;) {
    uint64_t seq_after = 0;
    bool stop_now = false;
    {
      std::unique_lock lock(mu_);
      // Wait for a full batch, the flush interval, or stop. Waiting for the
      // interval rather than writing every push keeps transactions large.
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stopping_ || queued_ >= options_.max_batch_records ||
               (flush_requested_ && !queue_.empty());
      });
      batch.clear();
      while (!queue_.empty() && batch.size() < options_.max_batch_records) {
        auto& front = queue_.front();
        queued_ -= front.size();
        if (batch.empty()) {
          batch = std::move(front);
        } else {
          batch.insert(batch.end(), std::make_move_iterator(front.begin()),
                       std::make_move_iterator(front.end()));
        }
        queue_.pop_front();
        ++seq_after;
      }
      if (queue_.empty()) flush_requested_ = false;
      seq_after += written_seq_;
      stop_now = stopping_ && queue_.empty();
    }
    if (!batch.empty()) {
      try {
        store_.write_batch(batch);
        written_ += batch.size();
      } catch (const std::exception& e) {
        write_errors_++;
        std::lock_guard lock(mu_);
        last_error_ = e.what();
      }
    }
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
      written_seq_ = seq_after;
    }
    drained_.notify_all();
    if (stop_now) return;
  }
}

}  // namespace loupe::store
