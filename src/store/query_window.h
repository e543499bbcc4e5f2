// How every store turns a query's TimeRange into the minutes of its
// per-minute rollups and a window length, and splits a workload's service
// name: shared so every backend answers the same.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "store/store.h"

namespace loupe::store {

inline double window_seconds(const TimeRange& r) {
  return r.to_ns > r.from_ns ? static_cast<double>(r.to_ns - r.from_ns) / 1e9 : 0;
}

// Minutes whose start lies in [from, to): [ceil(from), ceil(to)) in minute starts.
inline std::pair<int64_t, int64_t> minute_bounds(const TimeRange& r) {
  auto ceil_minute = [](uint64_t ns) {
    uint64_t m = ns / 60'000'000'000ULL;
    if (m * 60'000'000'000ULL < ns) ++m;
    return static_cast<int64_t>(m * 60);
  };
  return {ceil_minute(r.from_ns), ceil_minute(r.to_ns)};
}

// "shop/Deployment/api" -> ("shop", "Deployment/api"); a name without a
// namespace ("Deployment/api") -> ("", itself).
inline std::pair<std::string, std::string> split_workload(const std::string& name) {
  auto slash = name.find('/');
  if (slash == std::string::npos || name.find('/', slash + 1) == std::string::npos)
    return {"", name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

}  // namespace loupe::store
