#include "k8s/collector.h"

#include <iostream>
#include <thread>

#include "core/time_format.h"

namespace loupe::k8s {

ClusterCollector::ClusterCollector(KubeConfig cfg, CollectorOptions opts, PayloadSender send)
    : cfg_(std::move(cfg)),
      opts_(std::move(opts)),
      send_(std::move(send)),
      detector_([this](const ClusterEvent& e) {
        std::lock_guard<std::mutex> lock(events_mu_);
        if (events_.size() >= opts_.max_pending_events) {
          ++dropped_events_;  // the server is unreachable for long; keep the oldest
          return;
        }
        events_.push_back(to_json(e));
      }) {
  for (const auto& r : all_resources()) {
    reflectors_.push_back(std::make_unique<Reflector>(cfg_, r, opts_.reflector, handler()));
  }
}

ClusterCollector::~ClusterCollector() {
  for (auto& r : reflectors_) r->stop();
}

ReflectorHandler ClusterCollector::handler() {
  return {[this](const Resource& r, const std::vector<nlohmann::json>& items) {
            store_.replace(r.name, items);
            for (const auto& it : items) detector_.on_object(r.name, WatchType::Added, it);
          },
          [this](const Resource& r, WatchType t, const nlohmann::json& obj) {
            store_.apply(r.name, t, obj);
            detector_.on_object(r.name, t, obj);
          }};
}

nlohmann::json ClusterCollector::payload(const char* type, std::vector<nlohmann::json> changes) {
  uint64_t now = loupe::now_unix_ns();
  nlohmann::json p = {{"kind", "LoupeK8sIngest"},
                      {"version", 1},
                      {"type", type},
                      {"collector", opts_.collector},
                      {"sent_at", loupe::format_rfc3339_ns(now)},
                      {"sent_at_ns", now}};
  if (std::string(type) == "snapshot") p["snapshot"] = store_.snapshot();
  p["skipped_objects"] = store_.counts().skipped;
  p["changes"] = std::move(changes);
  std::lock_guard<std::mutex> lock(events_mu_);
  p["events"] = events_;
  p["dropped_events"] = dropped_events_;
  return p;
}

bool ClusterCollector::send(const nlohmann::json& p, std::string* error) {
  if (!send_(p, error)) return false;
  // Only what was sent is forgotten; events detected meanwhile stay queued.
  std::lock_guard<std::mutex> lock(events_mu_);
  size_t n = std::min(events_.size(), p["events"].size());
  events_.erase(events_.begin(), events_.begin() + static_cast<long>(n));
  dropped_events_ = 0;
  return true;
}

bool ClusterCollector::events_pending() {
  std::lock_guard<std::mutex> lock(events_mu_);
  return !events_.empty();
}

bool ClusterCollector::run_once(std::string* error) {
  std::string failures;
  for (auto& r : reflectors_) {
    if (!r->list_once()) {
      failures += (failures.empty() ? "" : "; ") + r->stats().last_error;
      if (r->stats().last_status == 401 || r->stats().last_status == 0) break;  // same for all
    }
  }
  if (!failures.empty()) {
    *error = failures;
    return false;
  }
  store_.drain_changes(nullptr);  // the snapshot carries them
  return send(payload("snapshot", {}), error);
}

bool ClusterCollector::run(const std::function<bool()>& should_stop, std::string* error) {
  for (auto& r : reflectors_) r->start();
  auto deadline = std::chrono::steady_clock::now() + opts_.sync_timeout;
  for (auto& r : reflectors_) {
    while (!r->wait_synced(std::chrono::milliseconds(200))) {
      if (should_stop()) return true;
      if (std::chrono::steady_clock::now() > deadline) {
        *error = "initial list did not complete: " + r->stats().last_error;
        return false;
      }
    }
  }
  using Clock = std::chrono::steady_clock;
  bool need_snapshot = true;
  auto last_snapshot = Clock::now();
  auto last_send = Clock::now() - opts_.interval;
  auto next_try = Clock::now();  // after a failed send, wait `interval` before the next
  while (!should_stop()) {
    auto now = Clock::now();
    bool pending = store_.has_changes() || events_pending();
    bool due = need_snapshot || pending || now - last_send >= opts_.interval ||
               now - last_snapshot > opts_.resnapshot;
    if (now < next_try || !due) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (pending && !need_snapshot) std::this_thread::sleep_for(opts_.batch_delay);
    bool overflow = false;
    auto changes = store_.drain_changes(&overflow);
    if (overflow || Clock::now() - last_snapshot > opts_.resnapshot) need_snapshot = true;
    nlohmann::json p =
        need_snapshot ? payload("snapshot", {}) : payload("changes", std::move(changes));
    std::string err;
    if (send(p, &err)) {
      if (need_snapshot) last_snapshot = Clock::now();
      need_snapshot = false;
      last_send = Clock::now();
      next_try = last_send;
    } else {
      // The drained changes are gone: the next successful send must be a
      // snapshot so the server is not left with a gap.
      std::cerr << "loupe cluster: " << err << " (will retry with a snapshot)\n";
      need_snapshot = true;
      next_try = Clock::now() + opts_.interval;
    }
  }
  for (auto& r : reflectors_) r->stop();
  return true;
}

}  // namespace loupe::k8s
