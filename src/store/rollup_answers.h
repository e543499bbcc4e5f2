// The answers of the rollup queries (services, endpoints, latency, map,
// workloads, pods) folded from per-minute cells, whichever store read them:
// each backend selects its cells (count, errors, serialized sketch, minute)
// and hands them here, so every store answers alike by construction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/rollup.h"
#include "store/store.h"

namespace loupe::store {

// One per-minute cell as a store read it.
struct CellRead {
  uint64_t count = 0, errors = 0;
  std::string_view sketch;  // serialized Sketch
  int64_t minute_s = 0;
  // 0 for a minute cell. A cell of a whole hour (ClickHouse's compacted
  // hours) has minute_s the hour's start and bit i set when its minute i had
  // traffic, so the summary counts the same active minutes.
  uint64_t hour_minutes = 0;
};

// Every step bucket of q.range, empty ones included (count 0), so charts
// show gaps rather than interpolating over them.
class LatencyFold {
 public:
  explicit LatencyFold(const LatencyQuery& q);
  void add(const CellRead& cell);  // sketch, errors and minute are read
  std::vector<LatencyPoint> finish() const;

 private:
  struct Bucket {
    Sketch sketch;
    uint64_t errors = 0;
  };
  double quantile_;
  int64_t step_;
  std::map<int64_t, Bucket> buckets_;
};

class ServicesFold {
 public:
  explicit ServicesFold(const ServicesQuery& q) : query_(q) {}
  // A registered service (listed even without traffic); port 0: none.
  void registered(const std::string& name, const std::string& kind, uint16_t port);
  // A counted cell of `service`.
  void add(const std::string& service, const CellRead& cell);
  std::vector<ServiceSummary> finish();

 private:
  LatencyFold& series_fold(const std::string& service);

  ServicesQuery query_;
  std::map<std::string, ServiceSummary> services_;
  std::map<std::string, RedAccumulator> red_;
  std::map<std::string, LatencyFold> series_;  // when query_.series
};

class EndpointsFold {
 public:
  void add(const std::string& service, const std::string& method, const std::string& route,
           Protocol protocol, const CellRead& cell);
  std::vector<EndpointSummary> finish(const TimeRange& range) const;

 private:
  std::map<std::tuple<std::string, std::string, std::string, Protocol>, RedAccumulator> red_;
};

// Cells of a pair rollup (caller -> callee, workload -> pod) grouped by
// (a, b), or by a alone when `group_by_a` (b and b_kind then empty). Kinds
// are the first cell's.
class PairFold {
 public:
  explicit PairFold(bool group_by_a) : group_by_a_(group_by_a) {}
  void add(const std::string& a, const std::string& b, const std::string& a_kind,
           const std::string& b_kind, Protocol protocol, const CellRead& cell);

  std::vector<MapEdge> edges(const TimeRange& range) const;
  std::vector<WorkloadSummary> workloads(const TimeRange& range) const;  // group_by_a
  std::vector<PodSummary> pods(const TimeRange& range) const;

 private:
  struct Row {
    std::string a, a_kind, b, b_kind;
    std::set<Protocol> protocols;
    RedAccumulator red;
  };
  bool group_by_a_;
  std::map<std::pair<std::string, std::string>, Row> rows_;
};

}  // namespace loupe::store
