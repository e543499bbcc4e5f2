// The storage interface the API server and `loupe run` talk to. SqliteStore
// (sqlite_store.cpp) is the embedded implementation; a ClickHouse backend can
// implement the same interface without the API changing.
//
// Every record is kept raw (for drill-down) and also rolled up into
// per-minute aggregates (count, errors, latency sum, latency sketch) per
// (service, method, route, protocol, counted) so RED and latency queries over
// long windows read thousands of rows, not millions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/record.h"

namespace loupe::store {

// Thrown by open_sqlite_store and write failures; what() is user-facing
// ("what failed; what to do").
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  uint64_t retention_ns = 24ULL * 3600 * 1'000'000'000ULL;  // 0 keeps everything
};

// Half-open [from_ns, to_ns). Aggregate-backed queries are minute-granular:
// a minute is included when its start lies in the range.
struct TimeRange {
  uint64_t from_ns = 0;
  uint64_t to_ns = 0;
};

struct RedSummary {
  uint64_t requests = 0;
  uint64_t errors = 0;
  double error_rate = 0;  // errors / requests, 0 when no requests
  double rate_per_s = 0;  // requests / window seconds
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
};

struct ServiceSummary {
  std::string name;
  std::string kind;  // "process", "external", "service"
  std::vector<uint16_t> ports;
  RedSummary red;
};

struct EndpointSummary {
  std::string service;
  std::string method;  // HTTP method, SQL verb, Redis command, DNS qtype
  std::string route;   // route template / normalized statement / query name
  Protocol protocol = Protocol::Unknown;
  RedSummary red;
};

struct LatencyQuery {
  std::string service;
  std::optional<std::string> route;   // all routes when absent
  std::optional<std::string> method;  // all methods when absent
  double quantile = 0.95;
  uint64_t step_s = 60;  // a positive multiple of 60 (data is per minute)
  TimeRange range;
};

struct LatencyPoint {
  uint64_t t = 0;  // bucket start, unix seconds
  double value_ms = 0;
  uint64_t count = 0;
};

struct RequestQuery {
  std::optional<std::string> service;
  std::optional<std::string> route;
  std::optional<int> status;
  std::optional<Protocol> protocol;
  uint64_t min_duration_ns = 0;
  TimeRange range;
  size_t limit = 100;
};

struct StoredRequest {
  Record record;
  std::string service;  // resolved Loupe service (the callee for client records)
  bool counted = true;  // false for the client side of a local-to-local call
};

struct StoreStats {
  uint64_t records_stored = 0;
  uint64_t store_size_bytes = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores a batch in one transaction. Called from one writer thread.
  virtual void write_batch(const std::vector<Record>& records) = 0;

  virtual std::vector<ServiceSummary> services(const TimeRange& range) = 0;
  virtual std::vector<EndpointSummary> endpoints(const std::optional<std::string>& service,
                                                 const TimeRange& range) = 0;
  virtual std::vector<LatencyPoint> latency(const LatencyQuery& q) = 0;
  virtual std::vector<StoredRequest> requests(const RequestQuery& q) = 0;  // newest first
  virtual StoreStats stats() = 0;

  // Deletes everything that started before now_ns - retention. Returns the
  // number of raw records deleted.
  virtual uint64_t enforce_retention(uint64_t now_ns) = 0;
};

// Opens (creating if needed) <data_dir>/loupe.db. Throws StoreError.
std::unique_ptr<Store> open_sqlite_store(const std::string& data_dir, StoreOptions options = {});

}  // namespace loupe::store
