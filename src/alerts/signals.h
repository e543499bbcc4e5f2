// Reads a rule's signal for one time window through the store's query
// interface, as one value per label set (the rule's group_by keys plus its
// scope). Request signals come from the per-minute rollups when the window
// is whole minutes and the rule's labels are ones the rollups keep, else
// from the raw records of the window (at most kMaxRequests of them). Metric
// signals read each matching series (at most kMaxSeries) over the window: a
// counter's sum, else its mean; a group's value is its worst series.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/rule.h"
#include "store/store.h"

namespace loupe::alerts {

using Labels = std::map<std::string, std::string>;

struct GroupValue {
  Labels labels;
  double value = 0;
  uint64_t requests = 0;  // request signals: requests in the window
  // Change rules: what the value was compared with ({"kind": "earlier"|"baseline", ...}).
  nlohmann::json compared_to;
  std::string not_evaluated;  // why a change rule could not compare this label set
};

struct SignalValues {
  std::vector<GroupValue> groups;
  std::string error;       // the rule cannot be evaluated (and why); groups empty
  bool truncated = false;  // more than kMaxRequests requests / kMaxSeries series
};

inline constexpr size_t kMaxRequests = 50'000;
inline constexpr size_t kMaxSeries = 2'000;  // metric series read per rule and window

// `range` is the window (now_ns - window .. now_ns, or an earlier one for
// comparisons); now_ns tells which minutes are still filling.
SignalValues read_signal(store::Store& store, const Rule& rule, const store::TimeRange& range,
                         uint64_t now_ns);

}  // namespace loupe::alerts
