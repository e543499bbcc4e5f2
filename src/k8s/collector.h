// The cluster collector behind `loupe cluster`: one reflector per resource
// feeding a MetadataStore and an EventDetector, and a sender that ships a
// snapshot first, then batches of changes and events (payload documented in
// docs/kubernetes.md, "Ingest payload").
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "k8s/cluster_events.h"
#include "k8s/kube_config.h"
#include "k8s/metadata_store.h"
#include "k8s/reflector.h"

namespace loupe::k8s {

struct CollectorOptions {
  // Changes and events are sent as soon as they are seen (after
  // batch_delay, so a burst of watch events travels in one payload); when
  // nothing changed, an empty "changes" payload goes out every `interval`
  // so the server knows how current its model is (it holds records until
  // the model has seen their start, docs/kubernetes.md).
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds batch_delay{50};
  std::chrono::seconds resnapshot{600};   // full snapshot this often (server restarts)
  std::chrono::seconds sync_timeout{60};  // wait for the first lists before the first snapshot
  std::string collector;                  // who sends (hostname / pod name)
  ReflectorOptions reflector;
  size_t max_pending_events = 10000;
};

// Sends one payload; false with *error to retry later.
using PayloadSender = std::function<bool(const nlohmann::json&, std::string* error)>;

class ClusterCollector {
 public:
  ClusterCollector(KubeConfig cfg, CollectorOptions opts, PayloadSender send);
  ~ClusterCollector();

  // Lists every resource once and sends one snapshot with the events found.
  // False with *error when a list or the send failed.
  bool run_once(std::string* error);
  // Watches and sends until should_stop() returns true. Returns false if the
  // first sync never completed.
  bool run(const std::function<bool()>& should_stop, std::string* error);

  const MetadataStore& store() const { return store_; }

 private:
  ReflectorHandler handler();
  nlohmann::json payload(const char* type, std::vector<nlohmann::json> changes);
  bool send(const nlohmann::json& p, std::string* error);
  bool events_pending();

  KubeConfig cfg_;
  CollectorOptions opts_;
  PayloadSender send_;
  MetadataStore store_;
  EventDetector detector_;
  std::mutex events_mu_;
  std::vector<nlohmann::json> events_;  // detected, not yet sent
  uint64_t dropped_events_ = 0;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
};

}  // namespace loupe::k8s
