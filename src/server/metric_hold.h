// Holds the metric samples of pods the cluster model does not know yet, so
// a brand-new pod's first samples get its name like its requests do
// (server/pending_enrichment.h holds records the same way). The agent
// samples a new pod's cgroup as soon as it exists, often before the
// collector's change naming the pod (or its container id) reaches the
// server; stored under the cgroup path, those samples would stay out of the
// pod's and workload's series for good.
//
// Samples the model can name pass at once (nearly all of them). A sample
// of a pod the model does not know waits until the model names it, or
// max_wait passed (the kubelet made the pod's cgroup, so its object is on
// its way; max_wait covers a collector that stopped sending). A container
// sample of a known pod whose container id no status lists yet waits less:
// once the model is current to its time + settle, it is a sandbox (pause)
// container that no status will ever name. Samples leaving unnamed are
// stored with what is known (the cgroup path). No thread: release_due()
// runs on every submit and after every collector payload, the two moments
// something can change. Nothing is held on a bare host (no collector).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "core/metric.h"
#include "server/cluster_model.h"

namespace loupe::server {

struct MetricHoldOptions {
  uint64_t settle_ns = 2'000'000'000;    // an unnamed container: model current to its time + this
  uint64_t max_wait_ns = 6'000'000'000;  // then stored with what is known
  size_t max_samples = 100'000;          // beyond: the oldest are stored at once
};

struct MetricHoldStats {
  uint64_t held = 0;        // waiting now
  uint64_t named = 0;       // released once the model named them
  uint64_t unnamed = 0;     // released unnamed: a sandbox container, or max_wait
  uint64_t overflowed = 0;  // released early because too many were held
};

class MetricHold {
 public:
  // sink: stores a batch (Store::write_metrics; may throw). clock: unix ns (tests).
  using Sink = std::function<void(std::vector<MetricSample>&&)>;
  using Clock = std::function<uint64_t()>;
  MetricHold(const ClusterModel& model, Sink sink, MetricHoldOptions opts = {},
             Clock clock = nullptr);

  // Names the samples, passes on the ones named or due, holds the rest;
  // then releases what became due since. When the sink throws, none of
  // this batch stays held (the agent sends it again) and the error goes on.
  void submit(std::vector<MetricSample> samples);
  void release_due();
  // Passes on everything held (at shutdown).
  void flush();

  MetricHoldStats stats() const;

 private:
  struct Held {
    MetricSample sample;
    uint64_t arrived_ns;
    uint64_t batch;  // which submit() it came with
  };
  using Naming = ClusterModel::SampleNaming;
  bool due(Naming naming, const MetricSample& s, uint64_t arrived_ns, uint64_t now_ns,
           uint64_t as_of_ns) const;

  const ClusterModel& model_;
  Sink sink_;
  MetricHoldOptions opts_;
  Clock clock_;
  mutable std::mutex mu_;
  std::deque<Held> held_;  // arrival order
  uint64_t batches_ = 0;
  MetricHoldStats stats_;
};

}  // namespace loupe::server
