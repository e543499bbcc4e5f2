// Reads a rule's signal for one time window through the store's query
// interface, as one value per label set (the rule's group_by keys plus its
// scope). Request signals come from the raw records of the window, so a
// window may be seconds long; at most kMaxRequests of them are read. Metric
// signals read each matching series (at most kMaxSeries) over the window: a
// counter's sum, else its mean; a group's value is its worst series.
#pragma once

#include <map>
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
};

struct SignalValues {
  std::vector<GroupValue> groups;
  std::string error;       // the rule cannot be evaluated (and why); groups empty
  bool truncated = false;  // more than kMaxRequests requests / kMaxSeries series
};

inline constexpr size_t kMaxRequests = 50'000;
inline constexpr size_t kMaxSeries = 2'000;  // metric series read per rule and window

SignalValues read_signal(store::Store& store, const Rule& rule, const store::TimeRange& range);

}  // namespace loupe::alerts
