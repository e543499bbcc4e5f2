#include "server/pending_enrichment.h"

#include "core/time_format.h"

namespace loupe::server {

PendingEnrichment::PendingEnrichment(const ClusterModel& model, Sink sink,
                                     PendingEnrichmentOptions opts, Clock clock)
    : model_(model),
      sink_(std::move(sink)),
      opts_(opts),
      clock_(clock ? std::move(clock) : Clock(loupe::now_unix_ns)) {}

PendingEnrichment::~PendingEnrichment() { stop(); }

void PendingEnrichment::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    std::unique_lock sleeping(mu_);
    while (!stopping_) {
      wake_.wait_for(sleeping, std::chrono::milliseconds(100));
      if (stopping_) break;
      sleeping.unlock();
      release_due();
      sleeping.lock();
    }
  });
}

void PendingEnrichment::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<Record> rest;
  {
    std::lock_guard lock(mu_);
    for (auto& h : held_) rest.push_back(std::move(h.record));
    held_.clear();
    stats_.held = 0;
    stats_.timed_out += rest.size();
  }
  if (!rest.empty()) pass_on(std::move(rest));
}

bool PendingEnrichment::due(const Record& r, uint64_t arrived_ns, uint64_t now_ns,
                            uint64_t as_of_ns) const {
  return as_of_ns >= r.start_ns + opts_.settle_ns || now_ns >= arrived_ns + opts_.max_wait_ns;
}

void PendingEnrichment::pass_on(std::vector<Record>&& batch) {
  model_.enrich(batch);
  size_t n = batch.size();
  if (!sink_(std::move(batch))) {
    std::lock_guard lock(mu_);
    stats_.sink_refused += n;
  }
}

bool PendingEnrichment::submit(std::vector<Record> records) {
  if (!model_.active()) {
    // A bare host: nothing will ever name these better.
    return sink_(std::move(records));
  }
  uint64_t now = clock_(), as_of = model_.current_to_ns();
  std::vector<Record> ready, overflow;
  uint64_t batch = 0;
  {
    std::lock_guard lock(mu_);
    batch = ++batches_;
    for (auto& r : records) {
      if (due(r, now, now, as_of))
        ready.push_back(std::move(r));
      else
        held_.push_back({std::move(r), now, batch});
    }
    while (held_.size() > opts_.max_records) {
      overflow.push_back(std::move(held_.front().record));
      held_.pop_front();
      ++stats_.overflowed;
    }
    stats_.released += ready.size();
    stats_.held = held_.size();
  }
  if (!overflow.empty()) pass_on(std::move(overflow));
  if (ready.empty()) return true;
  model_.enrich(ready);
  if (sink_(std::move(ready))) return true;
  // Refused: the sender retries the whole batch, so hold none of it either.
  std::lock_guard lock(mu_);
  std::erase_if(held_, [batch](const Held& h) { return h.batch == batch; });
  stats_.held = held_.size();
  return false;
}

void PendingEnrichment::release_due() {
  uint64_t now = clock_(), as_of = model_.current_to_ns();
  std::vector<Record> out;
  {
    std::lock_guard lock(mu_);
    // Arrival order is close to start order, so release from the front:
    // O(released) per pass however many wait. A record behind a later-due
    // one waits at most until that one is due (max_wait after its arrival).
    while (!held_.empty() && due(held_.front().record, held_.front().arrived_ns, now, as_of)) {
      Held& h = held_.front();
      if (as_of >= h.record.start_ns + opts_.settle_ns)
        ++stats_.released;
      else
        ++stats_.timed_out;
      out.push_back(std::move(h.record));
      held_.pop_front();
    }
    stats_.held = held_.size();
  }
  if (!out.empty()) pass_on(std::move(out));
}

PendingEnrichmentStats PendingEnrichment::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe::server
