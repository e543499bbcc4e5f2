#include "agent/metrics/metrics_shipper.h"

#include "k8s/ingest_client.h"

namespace loupe::metrics {

namespace {
constexpr size_t kMaxSamplesPerPost = 20'000;
}

void MetricsShipper::ship(std::vector<MetricSample>& samples, std::vector<OomKill>& kills) {
  for (MetricSample& s : samples) samples_.push_back(std::move(s));
  for (OomKill& k : kills) kills_.push_back(std::move(k));
  uint64_t dropped = 0;
  while (samples_.size() > opts_.max_buffered_samples) {
    samples_.pop_front();
    ++dropped;
  }
  std::string error;
  uint64_t sent = 0;
  bool ok = true;
  while (ok && (!samples_.empty() || !kills_.empty())) {
    size_t n = std::min(samples_.size(), kMaxSamplesPerPost);
    nlohmann::json body{{"samples", nlohmann::json::array()},
                        {"oom_kills", nlohmann::json::array()}};
    for (size_t i = 0; i < n; ++i) body["samples"].push_back(to_json(samples_[i]));
    for (const OomKill& k : kills_) body["oom_kills"].push_back(to_json(k));
    ok = k8s::post_json({opts_.server_url, opts_.token, opts_.ca_file}, "/api/v1/metrics/ingest",
                        body, &error);
    if (ok) {
      samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(n));
      kills_.clear();
      sent += n;
    }
  }
  std::lock_guard lock(mu_);
  sent_ += sent;
  dropped_ += dropped;
  if (!ok) {
    ++failures_;
    last_error_ = error;
  }
}

nlohmann::json MetricsShipper::status() const {
  std::lock_guard lock(mu_);
  return {{"samples_sent", sent_},
          {"samples_dropped", dropped_},
          {"send_failures", failures_},
          {"last_error", last_error_}};
}

}  // namespace loupe::metrics
