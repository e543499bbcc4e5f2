// What an alerts file (docs/alerts.md) describes once parsed: rules that
// select a signal, a scope and a condition, and the receivers that get the
// notifications. Built-in rules (builtin_rules.cpp) use the same types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "logs/log_entry.h"

namespace loupe::alerts {

enum class Signal { Latency, ErrorRate, RequestRate, Metric, Event, LogCount };
enum class Op { Gt, Ge, Lt, Le };
// What the threshold is compared against: the signal's value itself, its
// change in percent against the same window `compare_ns` earlier, or against
// its baseline (the median of the same window on each of the last 7 days).
enum class ConditionKind { Threshold, ChangePct, BaselinePct };

std::string to_string(Signal s);
std::string to_string(Op op);
std::optional<Signal> signal_from_string(const std::string& s);
std::optional<Op> op_from_string(const std::string& s);
bool compare(double value, Op op, double threshold);

// Scope and group_by keys: the labels a request signal carries.
inline const std::vector<std::string>& scope_keys() {
  static const std::vector<std::string> keys{"service",   "route",    "method",
                                             "namespace", "workload", "pod",
                                             "container", "node",     "protocol"};
  return keys;
}

// The keys log_count rules take: the labels of who wrote an entry.
inline const std::vector<std::string>& log_scope_keys() {
  static const std::vector<std::string> keys{"namespace", "workload", "pod", "container", "node"};
  return keys;
}

struct Rule {
  std::string name;
  bool enabled = true;
  bool builtin = false;
  Signal signal = Signal::ErrorRate;
  double quantile = 0.95;  // latency only: 0.5, 0.95 or 0.99
  std::string metric;      // Metric: its catalog name
  std::string reason;      // Event: Kubernetes reason or "OOMKilled"
  // Event as a state: reasons that end it (PodReady). The value is then how
  // long, in seconds, since the latest `reason` not followed by one of them.
  std::vector<std::string> cleared_by;
  // LogCount: the words a log entry must contain (as /api/v1/logs?q=), or a
  // pattern's text from /api/v1/logs/patterns (it holds "<*>"); and/or
  // its levels (any of them). Empty: every entry.
  std::string pattern;
  std::vector<logs::Level> levels;
  std::map<std::string, std::string> scope;  // key (scope_keys) -> exact value
  std::vector<std::string> group_by;         // keys (scope_keys)
  ConditionKind kind = ConditionKind::Threshold;
  Op op = Op::Gt;
  double threshold = 0;                       // value, or percent for the change kinds
  uint64_t compare_ns = 3600'000'000'000ULL;  // ChangePct: how far back
  uint64_t window_ns = 300'000'000'000ULL;
  uint64_t for_ns = 0;
  uint64_t min_requests = 0;  // request signals: fewer requests in the window -> no alert
  std::string severity = "warning";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;  // templates: {{ .value }}, {{ .labels.x }}
  std::vector<std::string> receivers;              // empty: every receiver
};

enum class ReceiverType { Webhook, Slack, Alertmanager };
std::string to_string(ReceiverType t);

struct Receiver {
  std::string name;
  ReceiverType type = ReceiverType::Webhook;
  std::string url;  // webhook/slack: the URL posted to; alertmanager: its base URL
  uint64_t timeout_ns = 5'000'000'000ULL;
  int max_attempts = 5;  // then the notification is dropped and counted
};

struct Config {
  std::vector<Rule> rules;  // built-in ones first, then the file's, by name
  std::vector<Receiver> receivers;
  uint64_t repeat_interval_ns = 4ULL * 3600 * 1'000'000'000ULL;
};

}  // namespace loupe::alerts
