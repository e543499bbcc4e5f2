// Holds records until the cluster model has seen the moment they started,
// then enriches them and passes them on. The collector sends changes as
// they happen and a heartbeat when nothing changes (the payload's
// sent_at_ns says up to when the model is current); a record that started
// at t is named once the model is current to t + settle (the kubelet
// reports a new pod's IP and containers about a second after they exist).
// So a pod serving in its first second, or a pod reusing an IP a deleted
// pod held a moment before, is named right, not left unnamed or given the
// old pod's name for ever. A batch waits at most max_wait (a collector
// that stopped sending); then it is enriched with what is known.
//
// Batches are held whole (an agent's batch spans half a second). Nothing
// is held until a collector has sent a snapshot (a bare host). Remote
// batches come here only once the store holds them (store::HeldBatch,
// acknowledged to their agent): released, they go to the sink with their
// held id, to be stored with the removal of the held batch in one
// transaction; after a crash the server replays them on start.
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
#include "store/store.h"

namespace loupe::server {

struct PendingEnrichmentOptions {
  uint64_t settle_ns = 2'000'000'000;    // model current to start + this
  uint64_t max_wait_ns = 6'000'000'000;  // then enrich with what is known
  size_t max_records = 200'000;          // beyond: the oldest batches go on at once
};

struct PendingEnrichmentStats {
  uint64_t held = 0;          // records waiting now
  uint64_t released = 0;      // after the model caught up
  uint64_t timed_out = 0;     // after max_wait
  uint64_t overflowed = 0;    // released early because too many were held
  uint64_t sink_refused = 0;  // the ingest queue was full on release (records lost)
};

class PendingEnrichment {
 public:
  // sink: where enriched records go, with the held batch's id (0 for
  // submit()'s records) and their memory_bytes summed (enriching changes
  // no string of a record: the sum holds); false when it refused them.
  // clock: unix ns (tests).
  using Sink = std::function<bool(std::vector<Record>&&, uint64_t held_id, size_t bytes)>;
  using Clock = std::function<uint64_t()>;
  PendingEnrichment(const ClusterModel& model, Sink sink, PendingEnrichmentOptions opts = {},
                    Clock clock = nullptr);
  ~PendingEnrichment();  // stop()
  PendingEnrichment(const PendingEnrichment&) = delete;
  PendingEnrichment& operator=(const PendingEnrichment&) = delete;

  // True when a batch with these records would wait for the model (a
  // collector is active and has not caught up with all of them).
  bool would_hold(const std::vector<Record>& records) const;
  // Records of the embedded agent (not durable): enriched and passed on
  // now when the model is current for all of them, else held. False when
  // the sink refused them. `bytes`: their memory_bytes summed (the agent
  // counted them as it built the batch).
  bool submit(std::vector<Record> records, size_t bytes);
  // A batch the store holds already: passed on whole, with its id, when
  // due (at once when no collector is active).
  void hold(store::HeldBatch batch);
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
    uint64_t id;  // the store's held batch, 0 for submit()'s
    uint64_t arrived_ns;
    uint64_t latest_start_ns;
    std::vector<Record> records;
    size_t bytes;  // their memory_bytes summed
  };
  bool due(const Held& h, uint64_t now_ns, uint64_t as_of_ns) const;
  void keep(Held h);  // holds it, releasing the oldest batches past max_records
  void pass_on(std::vector<Record>&& records, uint64_t held_id, size_t bytes);

  const ClusterModel& model_;
  Sink sink_;
  PendingEnrichmentOptions opts_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Held> held_;  // arrival order
  PendingEnrichmentStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace loupe::server
