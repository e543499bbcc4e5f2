// Holds records until the cluster model has seen the moment they started,
// then enriches them and passes them on. The collector sends changes as
// they happen and a heartbeat when nothing changes (the payload's
// sent_at_ns says up to when the model is current); a record that started
// at t is named once the model is current to t + settle (the kubelet
// reports a new pod's IP and containers about a second after they exist).
// So a pod serving in its first second, or a pod reusing an IP a deleted
// pod held a moment before, is named right, not left unnamed or given the
// old pod's name for ever. A record waits at most max_wait (a collector
// that stopped sending); then it is enriched with what is known.
//
// Nothing is held until a collector has sent a snapshot (a bare host).
// Held records are in memory only: they are acknowledged to agents before
// they reach the store (docs/kubernetes.md, "Records enrichment").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/record.h"
#include "server/cluster_model.h"

namespace loupe::server {

struct PendingEnrichmentOptions {
  uint64_t settle_ns = 2'000'000'000;    // model current to start + this
  uint64_t max_wait_ns = 6'000'000'000;  // then enrich with what is known
  size_t max_records = 200'000;          // beyond: the oldest go on at once
};

struct PendingEnrichmentStats {
  uint64_t held = 0;          // waiting now
  uint64_t released = 0;      // after the model caught up
  uint64_t timed_out = 0;     // after max_wait
  uint64_t overflowed = 0;    // released early because too many were held
  uint64_t sink_refused = 0;  // the ingest queue was full on release (records lost)
};

class PendingEnrichment {
 public:
  // sink: IngestQueue::push (false when full). clock: unix ns (tests).
  using Sink = std::function<bool(std::vector<Record>&&)>;
  using Clock = std::function<uint64_t()>;
  PendingEnrichment(const ClusterModel& model, Sink sink, PendingEnrichmentOptions opts = {},
                    Clock clock = nullptr);
  ~PendingEnrichment();  // stop()
  PendingEnrichment(const PendingEnrichment&) = delete;
  PendingEnrichment& operator=(const PendingEnrichment&) = delete;

  // Enriches and passes on what the model is already current for; holds the
  // rest. False when the sink refused the part passed on now.
  bool submit(std::vector<Record> records);
  // Passes on what is due (the model caught up, or waited max_wait). The
  // background thread calls it every 100 ms; tests call it directly.
  void release_due();
  // Starts the background thread (not started by the constructor, so
  // tests can drive release_due themselves).
  void start();
  // Releases everything held (enriched with what is known) and joins.
  void stop();

  PendingEnrichmentStats stats() const;

 private:
  struct Held {
    Record record;
    uint64_t arrived_ns;
    uint64_t batch;  // which submit() it came with
  };
  bool due(const Record& r, uint64_t arrived_ns, uint64_t now_ns, uint64_t as_of_ns) const;
  void pass_on(std::vector<Record>&& batch);

  const ClusterModel& model_;
  Sink sink_;
  PendingEnrichmentOptions opts_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Held> held_;  // arrival order
  uint64_t batches_ = 0;
  PendingEnrichmentStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::server
