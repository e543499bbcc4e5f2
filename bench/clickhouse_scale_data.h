// The synthetic day of records of bench/clickhouse_scale_bench.cpp, defined
// twice side by side: as SQL that ClickHouse evaluates to fill loupe_records
// (INSERT ... SELECT FROM numbers(), far faster than pushing 100 M records
// through Loupe's writer on 2 shared cores), and as C++ that gives the same
// record's rollup fields (minute, service, route, method, latency, error)
// for Loupe's own rollup encoder. Both derive every field from record n's
// intHash64(n) (ClickHouse's function, mirrored below), so the per-minute
// cells agree with the raw rows exactly; the bench checks that they do.
//
// The day: `records` records evenly spread over 24 h from t0 (a UTC day
// start); 20 services (Kubernetes workloads shop/Deployment/svc0..19) x 10
// routes each = 200 endpoints, picked uniformly; GET on two routes in three,
// POST on the rest; 1% HTTP 500; latency 0.3 ms + u^2 / 2 ns for u uniform
// in [0, 10000) (median ~12.8 ms, p95 ~47.8 ms, at most 50.3 ms); svcN is
// called by svc(N-1) (svc0 by an external client); 4 pods per service.
#pragma once

#include <cstdint>
#include <string>

#include "core/record.h"

namespace loupe::bench::scale {

inline constexpr uint64_t kServices = 20;
inline constexpr uint64_t kRoutesPerService = 10;
inline constexpr uint64_t kEndpoints = kServices * kRoutesPerService;
inline constexpr uint64_t kPodsPerService = 4;
inline constexpr uint64_t kDayNs = 86'400ULL * 1'000'000'000ULL;
// 2025-12-01 00:00 UTC: the day is one day partition of every table.
inline constexpr uint64_t kDayStartNs = 1'764'547'200ULL * 1'000'000'000ULL;

// ClickHouse's intHash64 (IntHash64Impl: the 64-bit Murmur finalizer of x
// xor a constant).
inline uint64_t int_hash64(uint64_t x) {
  x ^= 0x4CF2D2BAAE6DA887ULL;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// What the rollups need of record n.
struct RecordFacts {
  uint64_t service, route;  // indexes: svc<service>, /api/v1/items<route>/{id}
  uint64_t start_ns, duration_ns;
  bool post, error;
  uint64_t pod;  // index of the serving pod
};

inline uint64_t gap_ns(uint64_t records) { return kDayNs / records; }

inline RecordFacts facts(uint64_t n, uint64_t records) {
  const uint64_t h = int_hash64(n);
  const uint64_t endpoint = h % kEndpoints;
  const uint64_t u = (h >> 16) % 10'000;
  return {endpoint / kRoutesPerService,
          endpoint % kRoutesPerService,
          kDayStartNs + n * gap_ns(records),
          300'000 + u * u / 2,
          endpoint % 3 == 0,
          (h >> 8) % 100 == 0,
          (h >> 56) % kPodsPerService};
}

inline std::string service_name(uint64_t s) { return "shop/Deployment/svc" + std::to_string(s); }
inline std::string route_name(uint64_t r) { return "/api/v1/items" + std::to_string(r) + "/{id}"; }
inline std::string pod_name(uint64_t s, uint64_t p) {
  return "svc" + std::to_string(s) + "-7d9f8c6b5-" + std::to_string(p);
}
// svc0's caller is outside the cluster.
inline std::string caller_name(uint64_t s) {
  return s == 0 ? "external:203.0.113.7" : service_name(s - 1);
}

// INSERT INTO loupe_records of records [first, first + count): the same
// fields as facts(), plus the ones only the raw rows keep (paths, addresses,
// sizes, Kubernetes names). ids as ClickHouseStore makes them: a random
// 43-bit prefix per write of 5,000 records, shifted left 20, | the index.
inline std::string insert_records_sql(uint64_t first, uint64_t count, uint64_t records) {
  const std::string svc = "toString(s)", prev = "toString(s - 1)";
  const std::string protocol = std::to_string(static_cast<unsigned>(Protocol::Http1));
  const std::string server = std::to_string(static_cast<unsigned>(Role::Server));
  return "INSERT INTO loupe_records (id, start_ns, end_ns, service, counted, caller, route, "
         "protocol, role, tls, pid, tid, comm, local_addr, remote_addr, method, path, host, "
         "status, "
         "error, error_code, error_message, detail, trace_id, req_bytes, resp_bytes, node, "
         "namespace, pod, container, workload, k8s_service, remote_namespace, remote_pod, "
         "remote_workload, remote_service)\n"
         "SELECT bitShiftLeft(bitShiftRight(intHash64(intDiv(n, 5000)), 21), 20) + n % 5000, "
         "st, st + 300000 + intDiv(u * u, 2), concat('shop/Deployment/svc', " +
         svc + "), 1, if(s = 0, 'external:203.0.113.7', concat('shop/Deployment/svc', " + prev +
         ")), concat('/api/v1/items', toString(r), '/{id}'), " + protocol + ", " + server +
         ", 0, toUInt32(1000 + s), toUInt32(1000 + s + bitShiftRight(h, 60)), concat('svc', " +
         svc +
         "), concat('10.0.0.', toString(s + 1), ':8080'), concat('10.0.1.', "
         "toString(bitShiftRight(h, 24) % 250), ':', toString(30000 + bitShiftRight(h, 32) % "
         "30000)), if(e % 3 = 0, 'POST', 'GET'), concat('/api/v1/items', toString(r), '/', "
         "toString(bitShiftRight(h, 40) % 100000)), concat('svc', " +
         svc +
         ", '.shop.svc'), toInt32(if(err, 500, 200)), err, '', if(err, 'upstream request timeout', "
         "''), '', '', 200 + bitShiftRight(h, 4) % 500, 500 + bitShiftRight(h, 12) % 5000, "
         "concat('node-', toString(s % 5)), 'shop', concat('svc', " +
         svc +
         ", '-7d9f8c6b5-', toString(bitShiftRight(h, 56) % 4)), 'app', "
         "concat('Deployment/svc', " +
         svc + "), concat('svc', " + svc +
         "), if(s = 0, '', 'shop'), if(s = 0, '', concat('svc', " + prev +
         ", '-7d9f8c6b5-', toString(bitShiftRight(h, 52) % 4))), if(s = 0, '', "
         "concat('Deployment/svc', " +
         prev +
         ")), ''\n"
         "FROM (SELECT n, h, e, intDiv(e, 10) AS s, e % 10 AS r, bitShiftRight(h, 16) % 10000 AS "
         "u, "
         "toUInt8(bitShiftRight(h, 8) % 100 = 0) AS err, " +
         std::to_string(kDayStartNs) + " + n * " + std::to_string(gap_ns(records)) +
         " AS st FROM (SELECT n, intHash64(n) AS h, h % 200 AS e FROM (SELECT number + " +
         std::to_string(first) + " AS n FROM numbers(" + std::to_string(count) +
         "))))\nSETTINGS max_threads = 1";
}

}  // namespace loupe::bench::scale
