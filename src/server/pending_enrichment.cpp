#include "server/pending_enrichment.h"

#include <algorithm>

#include "core/thread_name.h"
#include "core/time_format.h"
#include "pipeline/ingest_queue.h"

namespace loupe::server {
namespace {

uint64_t latest_start(const std::vector<Record>& records) {
  uint64_t latest = 0;
  for (const Record& r : records) latest = std::max(latest, r.start_ns);
  return latest;
}

}  // namespace

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
    name_this_thread("loupe-pending");
    std::unique_lock sleeping(mu_);
    while (!stopping_) {
      // Nothing held (`loupe run`, a server without a collector): asleep
      // until keep() holds a batch, not 10 wakeups a second for nothing.
      if (held_.empty())
        wake_.wait(sleeping, [&] { return stopping_ || !held_.empty(); });
      else
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
  std::deque<Held> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(held_);
    stats_.held = 0;
    for (const Held& h : rest) stats_.timed_out += h.records.size();
  }
  for (Held& h : rest) pass_on(std::move(h.records), h.id, h.bytes);
}

bool PendingEnrichment::due(const Held& h, uint64_t now_ns, uint64_t as_of_ns) const {
  return as_of_ns >= h.latest_start_ns + opts_.settle_ns ||
         now_ns >= h.arrived_ns + opts_.max_wait_ns;
}

bool PendingEnrichment::would_hold(const std::vector<Record>& records) const {
  if (!model_.active() || records.empty()) return false;
  Held probe{0, clock_(), latest_start(records), {}, 0};
  return !due(probe, probe.arrived_ns, model_.current_to_ns());
}

void PendingEnrichment::pass_on(std::vector<Record>&& records, uint64_t held_id, size_t bytes) {
  model_.enrich(records);
  size_t n = records.size();
  if (!sink_(std::move(records), held_id, bytes)) {
    std::lock_guard lock(mu_);
    stats_.sink_refused += n;
  }
}

bool PendingEnrichment::submit(std::vector<Record> records, size_t bytes) {
  if (!would_hold(records)) {
    // A bare host (nothing will ever name these better), or the model is
    // current for all of them.
    {
      std::lock_guard lock(mu_);
      if (model_.active()) stats_.released += records.size();
    }
    model_.enrich(records);
    return sink_(std::move(records), 0, bytes);
  }
  uint64_t latest = latest_start(records);
  keep({0, clock_(), latest, std::move(records), bytes});
  return true;
}

void PendingEnrichment::hold(store::HeldBatch batch) {
  size_t bytes = pipeline::records_bytes(batch.records);
  if (!would_hold(batch.records)) {
    {
      std::lock_guard lock(mu_);
      if (model_.active()) stats_.released += batch.records.size();
    }
    pass_on(std::move(batch.records), batch.id, bytes);
    return;
  }
  uint64_t latest = latest_start(batch.records);
  keep({batch.id, batch.arrived_ns, latest, std::move(batch.records), bytes});
}

void PendingEnrichment::keep(Held h) {
  std::deque<Held> overflow;
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    was_empty = held_.empty();
    stats_.held += h.records.size();
    held_.push_back(std::move(h));
    while (stats_.held > opts_.max_records && held_.size() > 1) {
      stats_.held -= held_.front().records.size();
      stats_.overflowed += held_.front().records.size();
      overflow.push_back(std::move(held_.front()));
      held_.pop_front();
    }
  }
  if (was_empty) wake_.notify_one();
  for (Held& o : overflow) pass_on(std::move(o.records), o.id, o.bytes);
}

void PendingEnrichment::release_due() {
  uint64_t now = clock_(), as_of = model_.current_to_ns();
  std::deque<Held> out;
  {
    std::lock_guard lock(mu_);
    // Arrival order is close to start order, so release from the front:
    // O(released) per pass however many wait. A batch behind a later-due
    // one waits at most until that one is due (max_wait after its arrival).
    while (!held_.empty() && due(held_.front(), now, as_of)) {
      Held& h = held_.front();
      size_t n = h.records.size();
      if (as_of >= h.latest_start_ns + opts_.settle_ns)
        stats_.released += n;
      else
        stats_.timed_out += n;
      stats_.held -= n;
      out.push_back(std::move(h));
      held_.pop_front();
    }
  }
  for (Held& h : out) pass_on(std::move(h.records), h.id, h.bytes);
}

PendingEnrichmentStats PendingEnrichment::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe::server
