// `loupe agent`: sends each tick's metric samples and OOM kills to the
// server's POST /api/v1/metrics/ingest. A failed send keeps the batch and
// retries it with the next tick; at most `max_buffered_samples` wait, the
// oldest going first (counted) when the server stays away. OOM kills are
// few and are never dropped for samples.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/metric.h"
#include "core/oom_kill.h"

namespace loupe::metrics {

struct ShipperOptions {
  std::string server_url;
  std::string token;
  std::string ca_file;  // https: the CA verifying the server (empty: system store)
  size_t max_buffered_samples = 200'000;  // about an hour of a 50-pod node
};

class MetricsShipper {
 public:
  explicit MetricsShipper(ShipperOptions opts) : opts_(std::move(opts)) {}

  // Queues and sends (on the caller's thread: the sampler's).
  void ship(std::vector<MetricSample>& samples, std::vector<OomKill>& kills);
  nlohmann::json status() const;

 private:
  ShipperOptions opts_;
  std::deque<MetricSample> samples_;
  std::vector<OomKill> kills_;
  mutable std::mutex mu_;  // the counters below, for status()
  uint64_t sent_ = 0, dropped_ = 0, failures_ = 0;
  std::string last_error_;
};

}  // namespace loupe::metrics
