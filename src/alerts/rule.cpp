#include "alerts/rule.h"

namespace loupe::alerts {

std::string to_string(Signal s) {
  switch (s) {
    case Signal::Latency:
      return "latency";
    case Signal::ErrorRate:
      return "error_rate";
    case Signal::RequestRate:
      return "request_rate";
    case Signal::Metric:
      return "metric";
    case Signal::Event:
      return "event";
    case Signal::LogCount:
      return "log_count";
  }
  return "?";
}

std::optional<Signal> signal_from_string(const std::string& s) {
  for (Signal v : {Signal::Latency, Signal::ErrorRate, Signal::RequestRate, Signal::Metric,
                   Signal::Event, Signal::LogCount})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::string to_string(Op op) {
  switch (op) {
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
  }
  return "?";
}

std::optional<Op> op_from_string(const std::string& s) {
  for (Op v : {Op::Gt, Op::Ge, Op::Lt, Op::Le})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

bool compare(double value, Op op, double threshold) {
  switch (op) {
    case Op::Gt:
      return value > threshold;
    case Op::Ge:
      return value >= threshold;
    case Op::Lt:
      return value < threshold;
    case Op::Le:
      return value <= threshold;
  }
  return false;
}

std::string to_string(ReceiverType t) {
  switch (t) {
    case ReceiverType::Webhook:
      return "webhook";
    case ReceiverType::Slack:
      return "slack";
    case ReceiverType::Alertmanager:
      return "alertmanager";
  }
  return "?";
}

}  // namespace loupe::alerts
