// Turns pod and node state changes, and Kubernetes Events, into Loupe's
// own ClusterEvent list. The API keeps Events about an hour and never
// records an OOM kill as an Event, so Loupe derives these from object state
// and keeps its own copy. Each condition is reported once: a relist or a
// MODIFIED that changes nothing relevant does not repeat it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "core/cluster_event.h"
#include "k8s/reflector.h"

namespace loupe::k8s {

using loupe::ClusterEvent;  // the type lives in core: store and server share it

class EventDetector {
 public:
  using Sink = std::function<void(const ClusterEvent&)>;
  using Clock = std::function<uint64_t()>;
  explicit EventDetector(Sink sink, Clock clock = nullptr);

  // Feed every pods/nodes/events object (list items as Added).
  void on_object(std::string_view resource, WatchType type, const nlohmann::json& obj);

 private:
  void on_pod(WatchType type, const nlohmann::json& pod);
  void on_pod_readiness(const nlohmann::json& pod, const std::string& uid, bool deleted);
  void on_node(WatchType type, const nlohmann::json& node);
  void on_event(const nlohmann::json& ev);
  void emit(ClusterEvent e);

  Sink sink_;
  Clock clock_;
  std::mutex mu_;
  std::set<std::string> seen_;               // dedup keys of conditions already reported
  std::map<std::string, int> restarts_;      // "uid/container" -> last restartCount
  std::set<std::string> pods_not_ready_;     // uids reported PodNotReady (and not cleared)
  std::map<std::string, bool> node_ready_;   // node -> last Ready
  std::map<std::string, int> event_counts_;  // Event uid -> last count reported
};

}  // namespace loupe::k8s
