#include "k8s/cluster_events.h"

#include "core/time_format.h"
#include "k8s/objects.h"

namespace loupe::k8s {

EventDetector::EventDetector(Sink sink, Clock clock)
    : sink_(std::move(sink)), clock_(clock ? std::move(clock) : Clock(loupe::now_unix_ns)) {}

void EventDetector::emit(ClusterEvent e) {
  if (!e.time_ns) e.time_ns = clock_();
  if (!e.first_ns) e.first_ns = e.time_ns;
  if (!e.last_ns) e.last_ns = e.time_ns;
  if (sink_) sink_(e);
}

void EventDetector::on_object(std::string_view resource, WatchType type,
                              const nlohmann::json& obj) {
  if (!obj.is_object()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (resource == "pods")
    on_pod(type, obj);
  else if (resource == "nodes")
    on_node(type, obj);
  else if (resource == "events" && type != WatchType::Deleted)
    on_event(obj);
}

void EventDetector::on_pod(WatchType type, const nlohmann::json& pod) {
  std::string uid = jstr(pod, {"metadata", "uid"});
  std::string ns = jstr(pod, {"metadata", "namespace"});
  std::string name = jstr(pod, {"metadata", "name"});
  if (uid.empty()) return;
  on_pod_readiness(pod, uid, type == WatchType::Deleted);
  if (type == WatchType::Deleted) {
    // Forget the pod's state so long-running collectors do not grow forever.
    std::string prefix = uid + "/";
    auto starts = [&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; };
    for (auto it = seen_.lower_bound(prefix); it != seen_.end() && starts(*it);)
      it = seen_.erase(it);
    for (auto it = restarts_.lower_bound(prefix); it != restarts_.end() && starts(it->first);)
      it = restarts_.erase(it);
    return;
  }
  auto base = [&](const char* reason, const char* typ) {
    ClusterEvent e;
    e.namespace_ = ns;
    e.kind = "Pod";
    e.name = name;
    e.reason = reason;
    e.type = typ;
    e.source = "pod-status";
    return e;
  };
  if (jstr(pod, {"status", "reason"}) == "Evicted" && seen_.insert(uid + "/evicted").second) {
    ClusterEvent e = base("Evicted", "Warning");
    e.message = jstr(pod, {"status", "message"});
    emit(e);
  }
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const nlohmann::json* cs = jget(pod, {"status", list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : *cs) {
      std::string cname = jstr(c, {"name"});
      std::string ckey = uid + "/" + cname;
      int restarts = static_cast<int>(jint(c, {"restartCount"}));
      const nlohmann::json* term = jget(c, {"lastState", "terminated"});
      std::string finished = term ? jstr(*term, {"finishedAt"}) : "";
      // The last termination, once per (container, finishedAt): OOM kills
      // get their own reason; other exits after a restart are "Restarted".
      if (term && term->is_object()) {
        std::string reason = jstr(*term, {"reason"});
        bool oom = reason == "OOMKilled";
        auto prev = restarts_.find(ckey);
        bool restarted = prev != restarts_.end() && restarts > prev->second;
        if ((oom || restarted) && seen_.insert(ckey + "/term/" + finished).second) {
          ClusterEvent e = base(oom ? "OOMKilled" : "Restarted", "Warning");
          e.container = cname;
          e.exit_code = static_cast<int>(jint(*term, {"exitCode"}));
          e.count = restarts;
          e.time_ns = jtime(*term, {"finishedAt"});
          e.first_ns = jtime(*term, {"startedAt"});
          e.message = "container " + cname + " terminated (" + (reason.empty() ? "?" : reason) +
                      ", exit code " + std::to_string(e.exit_code) + "), restart " +
                      std::to_string(restarts);
          if (std::string m = jstr(*term, {"message"}); !m.empty()) e.message += ": " + m;
          emit(e);
        }
      }
      restarts_[ckey] = restarts;
      std::string waiting = jstr(c, {"state", "waiting", "reason"});
      if ((waiting == "CrashLoopBackOff" || waiting == "ImagePullBackOff" ||
           waiting == "CreateContainerConfigError") &&
          seen_.insert(ckey + "/" + waiting + "/" + std::to_string(restarts)).second) {
        ClusterEvent e = base(waiting.c_str(), "Warning");
        e.container = cname;
        e.count = restarts;
        e.message = jstr(c, {"state", "waiting", "message"});
        emit(e);
      }
    }
  }
}

// Readiness as transitions, so an alert can tell how long a pod has not been
// ready: PodNotReady when a pod that can still run is not Ready (at the
// condition's transition time), then PodReady when it is, or PodGone when it
// finishes or is deleted first. A pod that starts ready reports nothing.
void EventDetector::on_pod_readiness(const nlohmann::json& pod, const std::string& uid,
                                     bool deleted) {
  std::string phase = jstr(pod, {"status", "phase"});
  bool gone = deleted || phase == "Succeeded" || phase == "Failed";
  const nlohmann::json* ready_cond = nullptr;
  if (const nlohmann::json* conds = jget(pod, {"status", "conditions"}); conds && conds->is_array())
    for (const auto& c : *conds)
      if (jstr(c, {"type"}) == "Ready") ready_cond = &c;
  bool ready = ready_cond && jstr(*ready_cond, {"status"}) == "True";
  bool reported = pods_not_ready_.contains(uid);
  if (reported == (!ready && !gone)) return;  // no transition
  ClusterEvent e;
  e.namespace_ = jstr(pod, {"metadata", "namespace"});
  e.kind = "Pod";
  e.name = jstr(pod, {"metadata", "name"});
  e.source = "pod-status";
  e.type = "Normal";  // every starting pod passes through not ready: the alert judges
  if (!reported) {
    pods_not_ready_.insert(uid);
    e.reason = "PodNotReady";
    e.time_ns = ready_cond ? jtime(*ready_cond, {"lastTransitionTime"})
                           : jtime(pod, {"metadata", "creationTimestamp"});
    e.message = ready_cond
                    ? "Ready is " + jstr(*ready_cond, {"status"}) + ": " +
                          jstr(*ready_cond, {"reason"}) + " " + jstr(*ready_cond, {"message"})
                    : "no Ready condition yet (phase " + phase + ")";
  } else {
    pods_not_ready_.erase(uid);
    e.reason = gone ? "PodGone" : "PodReady";
    if (!gone && ready_cond) e.time_ns = jtime(*ready_cond, {"lastTransitionTime"});
    e.message = !gone     ? "Ready is True"
                : deleted ? "pod deleted while not ready"
                          : "pod " + phase + " while not ready";
  }
  emit(e);
}

void EventDetector::on_node(WatchType type, const nlohmann::json& node) {
  std::string name = jstr(node, {"metadata", "name"});
  if (type == WatchType::Deleted) {
    // A node deleted while NotReady ends that state (the NodeNotReady alert).
    auto prev = node_ready_.find(name);
    if (prev != node_ready_.end() && !prev->second) {
      ClusterEvent e;
      e.kind = "Node";
      e.name = name;
      e.reason = "NodeGone";
      e.type = "Normal";
      e.message = "node deleted while NotReady";
      e.source = "node-status";
      emit(e);
    }
    if (prev != node_ready_.end()) node_ready_.erase(prev);
    return;
  }
  const nlohmann::json* conds = jget(node, {"status", "conditions"});
  if (name.empty() || !conds || !conds->is_array()) return;
  for (const auto& c : *conds) {
    if (jstr(c, {"type"}) != "Ready") continue;
    bool ready = jstr(c, {"status"}) == "True";
    auto prev = node_ready_.find(name);
    // First sight reports only a problem; later, every transition.
    bool report = prev == node_ready_.end() ? !ready : prev->second != ready;
    node_ready_[name] = ready;
    if (!report) return;
    ClusterEvent e;
    e.kind = "Node";
    e.name = name;
    e.reason = ready ? "NodeReady" : "NodeNotReady";
    e.type = ready ? "Normal" : "Warning";
    e.message = jstr(c, {"reason"}) + ": " + jstr(c, {"message"});
    e.time_ns = jtime(c, {"lastTransitionTime"});
    e.source = "node-status";
    emit(e);
    return;
  }
}

void EventDetector::on_event(const nlohmann::json& ev) {
  // Normal events (Scheduled, Pulled, Started...) are chatter; Warnings are
  // what an operator wants next to a latency spike.
  if (jstr(ev, {"type"}) != "Warning") return;
  std::string id = jstr(ev, {"metadata", "uid"});
  if (id.empty()) id = jstr(ev, {"metadata", "namespace"}) + "/" + jstr(ev, {"metadata", "name"});
  int count = static_cast<int>(jint(ev, {"count"}));
  if (const nlohmann::json* series = jget(ev, {"series", "count"});
      series && series->is_number_integer())
    count = series->get<int>();
  if (count < 1) count = 1;
  auto prev = event_counts_.find(id);
  if (prev != event_counts_.end() && prev->second >= count) return;  // nothing new
  event_counts_[id] = count;
  ClusterEvent e;
  e.namespace_ = jstr(ev, {"involvedObject", "namespace"});
  if (e.namespace_.empty()) e.namespace_ = jstr(ev, {"metadata", "namespace"});
  e.kind = jstr(ev, {"involvedObject", "kind"});
  e.name = jstr(ev, {"involvedObject", "name"});
  e.reason = jstr(ev, {"reason"});
  e.message = jstr(ev, {"message"});
  e.type = "Warning";
  e.count = count;
  e.first_ns = jtime(ev, {"firstTimestamp"});
  if (!e.first_ns) e.first_ns = jtime(ev, {"eventTime"});
  e.last_ns = jtime(ev, {"lastTimestamp"});
  if (!e.last_ns) e.last_ns = e.first_ns;
  e.time_ns = e.last_ns;
  e.source = "event";
  emit(e);
  if (event_counts_.size() > 100000) event_counts_.clear();  // bound memory; worst case a repeat
}

}  // namespace loupe::k8s
