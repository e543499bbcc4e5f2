// One alert: a rule and a label set, moving inactive -> pending -> firing ->
// resolved as its condition holds and clears. advance() is the whole state
// machine; the engine calls it once per evaluation and delivers what it
// returns.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace loupe::alerts {

enum class AlertState { Inactive, Pending, Firing, Resolved };
std::string to_string(AlertState s);
std::optional<AlertState> alert_state_from_string(const std::string& s);

struct Alert {
  std::string rule;
  std::map<std::string, std::string>
      labels;  // alertname, severity, the rule's labels, group labels
  std::map<std::string, std::string> annotations;  // rendered at the last evaluation
  AlertState state = AlertState::Inactive;
  double value = 0;
  nlohmann::json compared_to;    // change rules: the reference the value was measured against
  uint64_t active_since_ns = 0;  // the condition started holding (pending)
  uint64_t fired_ns = 0;         // became firing (startsAt)
  uint64_t resolved_ns = 0;      // became resolved (endsAt)
  uint64_t last_eval_ns = 0;
  uint64_t last_sent_ns = 0;  // last firing notification delivered to the queue; 0: none
  bool silenced = false;

  // "alertname=X,pod=Y": the identity of the alert within its rule.
  std::string key() const;
};

enum class Notify { None, Firing, Resolved };

struct Timing {
  uint64_t for_ns = 0;
  uint64_t repeat_ns = 0;
};

// One evaluation: `holds` is the rule's condition for this label set (false
// also when the label set has no data). Returns what to send. A silenced
// alert still changes state but sends nothing; a resolution is only sent for
// an alert whose firing was sent.
Notify advance(Alert& a, bool holds, uint64_t now_ns, const Timing& t);

nlohmann::json to_json(const Alert& a);
Alert alert_from_json(const nlohmann::json& j);  // the inverse of to_json, for the state store

}  // namespace loupe::alerts
