#include "server/metric_hold.h"

#include "core/time_format.h"

namespace loupe::server {

MetricHold::MetricHold(const ClusterModel& model, Sink sink, MetricHoldOptions opts, Clock clock)
    : model_(model),
      sink_(std::move(sink)),
      opts_(opts),
      clock_(clock ? std::move(clock) : Clock(loupe::now_unix_ns)) {}

bool MetricHold::due(Naming naming, const MetricSample& s, uint64_t arrived_ns, uint64_t now_ns,
                     uint64_t as_of_ns) const {
  switch (naming) {
    case Naming::Named:
      return true;
    case Naming::ContainerUnknown:  // no status names it: a sandbox (pause) container
      if (as_of_ns >= s.time_ns + opts_.settle_ns) return true;
      break;
    case Naming::PodUnknown:  // the kubelet made its cgroup: the pod's object is on its way
      break;
  }
  return now_ns >= arrived_ns + opts_.max_wait_ns;
}

void MetricHold::submit(std::vector<MetricSample> samples) {
  uint64_t now = clock_(), as_of = model_.current_to_ns();
  bool active = model_.active();
  std::vector<MetricSample> out;
  out.reserve(samples.size());
  uint64_t batch = 0;
  {
    std::lock_guard lock(mu_);
    batch = ++batches_;
    for (MetricSample& s : samples) {
      // A bare host has no model that could name them later.
      if (!active || due(model_.enrich(s), s, now, now, as_of))
        out.push_back(std::move(s));
      else
        held_.push_back({std::move(s), now, batch});
    }
    while (held_.size() > opts_.max_samples) {
      out.push_back(std::move(held_.front().sample));
      held_.pop_front();
      ++stats_.overflowed;
    }
    stats_.held = held_.size();
  }
  try {
    if (!out.empty()) sink_(std::move(out));
  } catch (...) {
    std::lock_guard lock(mu_);
    std::erase_if(held_, [batch](const Held& h) { return h.batch == batch; });
    stats_.held = held_.size();
    throw;
  }
  release_due();
}

void MetricHold::release_due() {
  uint64_t now = clock_(), as_of = model_.current_to_ns();
  std::vector<MetricSample> out;
  {
    std::lock_guard lock(mu_);
    // One pass over all held samples (few: only those of pods not yet
    // known); a sample whose pod became known leaves before its due time.
    for (auto it = held_.begin(); it != held_.end();) {
      Naming naming = model_.enrich(it->sample);
      if (!due(naming, it->sample, it->arrived_ns, now, as_of)) {
        ++it;
        continue;
      }
      bool named = naming == Naming::Named;
      ++(named ? stats_.named : stats_.unnamed);
      out.push_back(std::move(it->sample));
      it = held_.erase(it);
    }
    stats_.held = held_.size();
  }
  if (!out.empty()) sink_(std::move(out));
}

void MetricHold::flush() {
  std::vector<MetricSample> out;
  {
    std::lock_guard lock(mu_);
    for (Held& h : held_) {
      ++(model_.enrich(h.sample) == Naming::Named ? stats_.named : stats_.unnamed);
      out.push_back(std::move(h.sample));
    }
    held_.clear();
    stats_.held = 0;
  }
  if (!out.empty()) sink_(std::move(out));
}

MetricHoldStats MetricHold::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe::server
