#include "alerts/alert.h"

#include "core/time_format.h"

namespace loupe::alerts {

std::string to_string(AlertState s) {
  switch (s) {
    case AlertState::Inactive:
      return "inactive";
    case AlertState::Pending:
      return "pending";
    case AlertState::Firing:
      return "firing";
    case AlertState::Resolved:
      return "resolved";
  }
  return "?";
}

std::optional<AlertState> alert_state_from_string(const std::string& s) {
  for (auto v :
       {AlertState::Inactive, AlertState::Pending, AlertState::Firing, AlertState::Resolved})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::string Alert::key() const {
  std::string k;
  for (const auto& [name, v] : labels) k += (k.empty() ? "" : ",") + name + "=" + v;
  return k;
}

Notify advance(Alert& a, bool holds, uint64_t now_ns, const Timing& t) {
  a.last_eval_ns = now_ns;
  if (!holds) {
    if (a.state == AlertState::Pending) a.state = AlertState::Inactive;
    if (a.state != AlertState::Firing) return Notify::None;
    a.state = AlertState::Resolved;
    a.resolved_ns = now_ns;
    bool was_sent = a.last_sent_ns != 0;
    a.last_sent_ns = 0;
    return was_sent && !a.silenced ? Notify::Resolved : Notify::None;
  }
  if (a.state == AlertState::Inactive || a.state == AlertState::Resolved) {
    a.state = AlertState::Pending;
    a.active_since_ns = now_ns;
    a.fired_ns = a.resolved_ns = a.last_sent_ns = 0;
  }
  if (a.state == AlertState::Pending && now_ns - a.active_since_ns >= t.for_ns) {
    a.state = AlertState::Firing;
    a.fired_ns = now_ns;
  }
  if (a.state != AlertState::Firing || a.silenced) return Notify::None;
  if (a.last_sent_ns != 0 && now_ns - a.last_sent_ns < t.repeat_ns) return Notify::None;
  a.last_sent_ns = now_ns;
  return Notify::Firing;
}

nlohmann::json to_json(const Alert& a) {
  auto time = [](uint64_t ns) { return ns ? nlohmann::json(format_rfc3339_ns(ns)) : nullptr; };
  nlohmann::json j{
      {"rule", a.rule},
      {"labels", a.labels},
      {"annotations", a.annotations},
      {"state", to_string(a.state)},
      {"value", a.value},
      {"active_since", time(a.active_since_ns)},
      {"fired_at", time(a.fired_ns)},
      {"resolved_at", time(a.resolved_ns)},
      {"last_eval", time(a.last_eval_ns)},
      {"last_sent", time(a.last_sent_ns)},
      {"silenced", a.silenced},
      // Exact nanoseconds for the state store (the RFC 3339 forms are for people).
      {"ns", {a.active_since_ns, a.fired_ns, a.resolved_ns, a.last_eval_ns, a.last_sent_ns}}};
  if (!a.compared_to.is_null()) j["compared_to"] = a.compared_to;
  return j;
}

Alert alert_from_json(const nlohmann::json& j) {
  Alert a;
  a.rule = j.value("rule", "");
  a.labels = j.value("labels", std::map<std::string, std::string>{});
  a.annotations = j.value("annotations", std::map<std::string, std::string>{});
  a.state = alert_state_from_string(j.value("state", "")).value_or(AlertState::Inactive);
  a.value = j.value("value", 0.0);
  a.silenced = j.value("silenced", false);
  if (auto c = j.find("compared_to"); c != j.end()) a.compared_to = *c;
  auto ns = j.value("ns", std::vector<uint64_t>{});
  if (ns.size() == 5) {
    a.active_since_ns = ns[0];
    a.fired_ns = ns[1];
    a.resolved_ns = ns[2];
    a.last_eval_ns = ns[3];
    a.last_sent_ns = ns[4];
  }
  return a;
}

}  // namespace loupe::alerts
