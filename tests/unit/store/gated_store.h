// A Store for queue tests: writes block until the gate opens, can be made
// to fail, and remember what they were given. Queries answer nothing.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include "../../support/null_store.h"

namespace loupe::testing {

class GatedStore : public NullStore {
 public:
  explicit GatedStore(bool open = false) : open_(open) {}

  void write_batch(const store::ResolvedBatch& batch, store::IngestBookkeeping* book) override {
    const auto& records = batch.records;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    if (fail_) throw store::StoreError("database or disk is full");
    written_ += records.size();
    for (std::span<const Record> run : records.runs()) runs_.push_back(run.data());
    largest_batch_ = std::max(largest_batch_, records.size());
    if (!book) return;
    keys_.insert(book->batches.begin(), book->batches.end());
    for (store::HeldBatch* h : book->hold) {
      h->id = ++last_held_id_;
      held_[h->id] = *h;
    }
    for (uint64_t id : book->released) held_.erase(id);
  }
  bool has_batch(const BatchKey& key) override {
    std::lock_guard lock(mu_);
    return keys_.contains(key);
  }
  std::vector<store::HeldBatch> held_batches() override {
    std::lock_guard lock(mu_);
    std::vector<store::HeldBatch> out;
    for (const auto& [id, h] : held_) out.push_back(h);
    return out;
  }
  void write_losses(const std::vector<store::LossMinute>& losses) override {
    std::lock_guard lock(mu_);
    for (const auto& m : losses) {
      lost_records_ += m.records;
      lost_events_ += m.events;
      loss_minutes_.push_back(m);
    }
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void fail(bool yes) {
    std::lock_guard lock(mu_);
    fail_ = yes;
  }
  size_t written() {
    std::lock_guard lock(mu_);
    return written_;
  }
  // Where each run of records the store was given starts, in order.
  std::vector<const Record*> runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }
  size_t largest_batch() {
    std::lock_guard lock(mu_);
    return largest_batch_;
  }
  uint64_t lost_records() {
    std::lock_guard lock(mu_);
    return lost_records_;
  }
  uint64_t lost_events() {
    std::lock_guard lock(mu_);
    return lost_events_;
  }
  std::vector<store::LossMinute> loss_minutes() {
    std::lock_guard lock(mu_);
    return loss_minutes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false, fail_ = false;
  size_t written_ = 0, largest_batch_ = 0;
  uint64_t lost_records_ = 0, lost_events_ = 0;
  std::vector<store::LossMinute> loss_minutes_;
  std::vector<const Record*> runs_;
  std::set<BatchKey> keys_;
  std::map<uint64_t, store::HeldBatch> held_;
  uint64_t last_held_id_ = 0;
};

}  // namespace loupe::testing
