// ClickHouseStore at scale: a day of records (100 M by default) in the
// product's tables (store_schema.h), then the product's own query code
// (ClickHouseStore::services, endpoints, latency, requests, ...) timed cold
// and warm, the answers checked against the raw rows, and the compressed
// bytes per record of each table as system.parts reports them.
//
// How the data is made (clickhouse_scale_data.h): the raw rows by
// INSERT ... SELECT FROM numbers() inside ClickHouse, in chunks, one thread;
// the per-minute rollup cells by Loupe's own encoder (encode_rollups, the
// real DDSketch) fed the same records minute by minute, so each key has one
// cell per minute, then the compactor (compaction.h) run over the finished
// day, which adds each key's hour cells as the server's upkeep does.
// bench/clickhouse_scale.sh starts Debian's clickhouse-server and runs this.
//
//   clickhouse_scale_bench --url clickhouse://HOST:PORT/DB [--records N]
//       [--chunk N] [--data-dir DIR] [--load 0|1] [--raw 0|1]
//   --data-dir: the server's data directory, whose pages are dropped from
//   the page cache before each cold query. --load 0 queries a database
//   loaded by an earlier run. --raw 0 makes and queries only the rollup
//   cells (what services, endpoints, latency and the map read), checked
//   against counts computed from the data's definition: the rollup side of
//   a day far larger than the raw rows this machine can generate in time.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "clickhouse_scale_data.h"
#include "cpu_time.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/client.h"
#include "store/clickhouse/compaction.h"
#include "store/clickhouse/features.h"
#include "store/clickhouse/rollup_cells.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/tables.h"
#include "store/clickhouse/url.h"
#include "store/rollup.h"

using namespace loupe;
using namespace loupe::store;
using namespace loupe::store::clickhouse;
using namespace loupe::bench::scale;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string url, data_dir;
  uint64_t records = 100'000'000;
  uint64_t chunk = 5'000'000;
  bool load = true;
  bool raw = true;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      a.url = v;
    else if (k == "--records")
      a.records = std::stoull(v);
    else if (k == "--chunk")
      a.chunk = std::stoull(v);
    else if (k == "--data-dir")
      a.data_dir = v;
    else if (k == "--load")
      a.load = v != "0";
    else if (k == "--raw")
      a.raw = v != "0";
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.url.empty() || a.records < 1440) {
    std::fprintf(stderr, "--url clickhouse://HOST:PORT/DB is required, --records >= 1440\n");
    std::exit(2);
  }
  return a;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int failures = 0;
void expect(bool ok, const std::string& what) {
  std::printf("check: %s: %s\n", what.c_str(), ok ? "ok" : "FAILED");
  if (!ok) ++failures;
}

uint64_t scalar(Client& c, const std::string& sql) {
  auto rows = c.select(sql, 1);
  return rows.empty() ? 0 : parse_uint(rows[0][0]);
}

void register_services(Client& c) {
  RowBinaryWriter out;
  for (uint64_t s = 0; s < kServices; ++s) {
    out.string(service_name(s));
    out.string("workload");
    out.uint16(8080);
    out.string("");
  }
  c.insert_row_binary(std::string(kServicesTable) + " (name, kind, port, ip)", out.bytes());
}

// The rollup cells of every record, one batch per minute through Loupe's
// encoder; inserted an hour at a time (24 inserts per table, few parts).
// Returns encode_rollups' CPU seconds.
double load_rollups(const Client& c, uint64_t records) {
  std::vector<std::string> routes, pods;
  // The rows' identities, one per service as the resolver gives a
  // connection's rows.
  std::vector<ServiceIdentity> services;
  std::vector<CallerIdentity> callers;
  for (uint64_t s = 0; s < kServices; ++s) {
    services.push_back({.name = service_name(s), .kind = "workload", .counted = true});
    callers.push_back(
        {.name = caller_name(s), .kind = s == 0 ? "external" : "workload", .counted = true});
    for (uint64_t p = 0; p < kPodsPerService; ++p) pods.push_back(pod_name(s, p));
  }
  for (uint64_t r = 0; r < kRoutesPerService; ++r) routes.push_back(route_name(r));

  std::vector<Record> recs;
  ResolvedBatch batch;
  RollupBodies hour;
  double cpu = 0;
  uint64_t minutes_in_hour = 0;
  auto flush_hour = [&] {
    // A new connection each hour: the server closes one left idle while the
    // hour is encoded, and a request sent just then is lost.
    Client fresh(c.url());
    if (!hour.minutes.empty()) fresh.insert_row_binary(record_minute_target(), hour.minutes);
    if (!hour.edges.empty()) fresh.insert_row_binary(edge_minute_target(), hour.edges);
    if (!hour.pods.empty()) fresh.insert_row_binary(pod_minute_target(), hour.pods);
    hour = {};
    minutes_in_hour = 0;
  };
  auto flush_minute = [&](size_t count) {
    batch.records = std::span<const Record>(recs.data(), count);
    batch.rows.resize(count);
    double t = loupe::bench::thread_cpu_s();
    RollupBodies bodies = encode_rollups(batch, /*write_id=*/0);  // 0: no spooled write to resume
    cpu += loupe::bench::thread_cpu_s() - t;
    batch.rows.resize(recs.size());
    hour.minutes += bodies.minutes;
    hour.edges += bodies.edges;
    hour.pods += bodies.pods;
    if (++minutes_in_hour == 60) flush_hour();
  };
  size_t count = 0;
  uint64_t minute = 0;
  for (uint64_t n = 0; n < records; ++n) {
    RecordFacts f = facts(n, records);
    uint64_t m = minute_of(f.start_ns);
    if (count > 0 && m != minute) {
      flush_minute(count);
      count = 0;
    }
    minute = m;
    if (count == recs.size()) {
      recs.emplace_back();
      batch.rows.emplace_back();
    }
    Record& r = recs[count];
    r.start_ns = f.start_ns;
    r.end_ns = f.start_ns + f.duration_ns;
    r.protocol = Protocol::Http1;
    r.role = Role::Server;
    r.error = f.error;
    r.method = f.post ? "POST" : "GET";
    ResolvedRecord& row = batch.rows[count];
    row.index = static_cast<uint32_t>(count);
    row.service = &services[f.service];
    row.route = routes[f.route];
    row.caller = &callers[f.service];
    row.workload_served = true;
    row.pod = pods[f.service * kPodsPerService + f.pod];
    ++count;
  }
  if (count > 0) flush_minute(count);
  flush_hour();
  return cpu;
}

void load(Client& c, const Args& a) {
  c.execute_in_default("DROP DATABASE IF EXISTS " + c.url().database);
  migrate(c, features_of(c.server_version()));
  register_services(c);
  std::printf("load: %llu records, 24 h, chunks of %llu, load average before: %s\n",
              static_cast<unsigned long long>(a.records), static_cast<unsigned long long>(a.chunk),
              loadavg().c_str());
  auto t = Clock::now();
  for (uint64_t first = 0; a.raw && first < a.records; first += a.chunk) {
    uint64_t n = std::min(a.chunk, a.records - first);
    auto tc = Clock::now();
    c.execute(insert_records_sql(first, n, a.records));
    std::printf("load: records %llu..%llu in %.1f s, load average %s\n",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + n),
                seconds_since(tc), loadavg().c_str());
    std::fflush(stdout);
  }
  std::printf("load_records_s: %.0f (INSERT SELECT, max_threads 1)\n", seconds_since(t));
  t = Clock::now();
  double cpu = load_rollups(c, a.records);
  std::printf("load_rollups_s: %.0f (Loupe's encode_rollups: %.1f CPU s, %.2f us/record)\n",
              seconds_since(t), cpu, cpu / static_cast<double>(a.records) * 1e6);
  std::printf("load: done, load average %s\n", loadavg().c_str());
}

// What the server's upkeep does once the day's hours are finished: each
// hour folded into its minute cells and hour cells (compaction.h). Also
// brings a database loaded by an older Loupe (--load 0) to this schema.
void migrate_and_compact(Client& c) {
  MigrateResult m = migrate(c, features_of(c.server_version()));
  if (m.from_version != m.to_version)
    std::printf("migrate: schema %d -> %d\n", m.from_version, m.to_version);
  auto t = Clock::now();
  CompactionResult r = compact_rollups(c, kDayStartNs + 2 * kDayNs, false, 3 * 24);
  std::printf("compact: %zu hours, %llu rows -> %llu in %.0f s, load average %s\n", r.hours,
              static_cast<unsigned long long>(r.rows_before),
              static_cast<unsigned long long>(r.rows_after), seconds_since(t), loadavg().c_str());
  for (std::string_view table : {kRecordMinuteTable, kEdgeMinuteTable, kPodMinuteTable})
    c.execute("OPTIMIZE TABLE " + std::string(table) + " FINAL");
}

void storage(Client& c, uint64_t records) {
  for (std::string_view table :
       {kRecordsTable, kRecordMinuteTable, kEdgeMinuteTable, kPodMinuteTable, kServicesTable}) {
    auto rows = c.select(
        "SELECT sum(data_compressed_bytes), sum(data_uncompressed_bytes), sum(rows), count() FROM "
        "system.parts WHERE active AND database = " +
            quote_literal(c.url().database) + " AND table = " + quote_literal(table),
        4);
    double compressed = std::stod(rows[0][0]), uncompressed = std::stod(rows[0][1]);
    std::printf(
        "storage %s: %s rows in %s parts, %.0f MB compressed, %.2f bytes/record compressed "
        "(%.1f uncompressed)\n",
        std::string(table).c_str(), rows[0][2].c_str(), rows[0][3].c_str(), compressed / 1e6,
        compressed / static_cast<double>(records), uncompressed / static_cast<double>(records));
  }
}

// Drops the server's caches and the data files' pages from the page cache
// (only those files: the machine is shared).
void make_cold(Client& c, const std::string& data_dir) {
  c.execute("SYSTEM DROP MARK CACHE");
  c.execute("SYSTEM DROP UNCOMPRESSED CACHE");
  if (data_dir.empty()) return;
  // Merges add and remove parts meanwhile: stop at the first error.
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(data_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    int fd = ::open(it->path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// Runs `query` cold once, then warm 5 times; prints cold and median warm ms.
void time_query(Client& c, const std::string& data_dir, const std::string& name,
                const std::function<size_t()>& query) {
  make_cold(c, data_dir);
  auto t = Clock::now();
  size_t rows = 0;
  double cold = 0;
  std::vector<double> warm;
  try {
    rows = query();
    cold = seconds_since(t) * 1e3;
    for (int i = 0; i < 5; ++i) {
      t = Clock::now();
      query();
      warm.push_back(seconds_since(t) * 1e3);
    }
  } catch (const std::exception& e) {
    std::printf("query %s: FAILED after %.0f ms: %s\n", name.c_str(), seconds_since(t) * 1e3,
                e.what());
    ++failures;
    return;
  }
  std::sort(warm.begin(), warm.end());
  std::printf("query %s: cold %.0f ms, warm %.0f ms (median of 5, min %.0f), %zu rows, load %s\n",
              name.c_str(), cold, warm[2], warm[0], rows, loadavg().c_str());
  std::fflush(stdout);
}

// A query that throws fails its check instead of ending the run.
template <typename F>
void checked(const std::string& what, F&& check) {
  try {
    check();
  } catch (const std::exception& e) {
    expect(false, what + ": " + e.what());
  }
}

template <typename Summaries>
uint64_t total_requests(const Summaries& list) {
  uint64_t n = 0;
  for (const auto& s : list) n += s.red.requests;
  return n;
}

void queries(Client& c, const Args& a) {
  ClickHouseStore store(parse_url(a.url), StoreOptions{});
  const TimeRange day{kDayStartNs, kDayStartNs + kDayNs};
  const std::string service = service_name(3), route = route_name(4);
  const uint64_t n = a.records;

  // Right answers first.
  if (a.raw)
    expect(scalar(c, "SELECT count() FROM loupe_records") == n, "loupe_records holds every record");
  checked("services()", [&] {
    expect(total_requests(store.services({.range = day})) == n,
           "services(): requests sum to every record");
  });
  std::vector<EndpointSummary> endpoints;
  checked("endpoints()", [&] { endpoints = store.endpoints(std::nullopt, day); });
  expect(endpoints.size() == kEndpoints && total_requests(endpoints) == n,
         "endpoints(): " + std::to_string(endpoints.size()) +
             " endpoints, requests sum to every "
             "record");
  if (a.raw) {
    // Every endpoint's count and errors against the raw rows.
    auto raw = c.select(
        "SELECT service, method, route, count(), sum(error) FROM loupe_records GROUP BY service, "
        "method, route",
        5);
    size_t agree = 0;
    for (const auto& row : raw)
      for (const auto& e : endpoints)
        if (e.service == row[0] && e.method == row[1] && e.route == row[2] &&
            e.red.requests == parse_uint(row[3]) && e.red.errors == parse_uint(row[4]))
          ++agree;
    expect(raw.size() == kEndpoints && agree == kEndpoints,
           "endpoints(): each endpoint's requests and errors equal the raw rows' (" +
               std::to_string(agree) + " of " + std::to_string(raw.size()) + ")");
  }
  checked("map()",
          [&] { expect(total_requests(store.map(day)) == n, "map(): edges sum to every record"); });
  checked("workloads()", [&] {
    expect(total_requests(store.workloads(day)) == n, "workloads(): sum to every record");
  });

  LatencyQuery lq;
  lq.service = service;
  lq.route = route;
  lq.range = day;
  auto points = store.latency(lq);
  uint64_t point_sum = 0;
  for (const auto& p : points) point_sum += p.count;
  const std::string where =
      " WHERE service = " + quote_literal(service) + " AND route = " + quote_literal(route);
  uint64_t route_records = 0;
  if (a.raw) {
    route_records = scalar(c, "SELECT count() FROM loupe_records" + where);
  } else {
    for (uint64_t i = 0; i < n; ++i) {
      RecordFacts f = facts(i, n);
      route_records += f.service == 3 && f.route == 4;
    }
  }
  expect(points.size() == 1440 && point_sum == route_records,
         "latency(): 1440 minutes whose counts sum to the route's raw rows");
  if (a.raw) {
    // The sketch's p95 of minute 600 against the exact one (DDSketch: 0.5%
    // relative accuracy, plus the rank step of
    // ~350 values; 2% allowed).
    const uint64_t m = kDayStartNs / 1'000'000'000ULL + 600 * 60;
    double exact =
        static_cast<double>(scalar(c,
                                   "SELECT toUInt64(quantileExact(0.95)(end_ns - start_ns)) FROM "
                                   "loupe_records" +
                                       where + " AND time >= toDateTime(" + std::to_string(m) +
                                       ") AND time < toDateTime(" + std::to_string(m + 60) + ")")) /
        1e6;
    double sketch = points.size() > 600 ? points[600].value_ms : 0;
    std::printf("p95 of minute 600: sketch %.3f ms, exact %.3f ms\n", sketch, exact);
    expect(std::abs(sketch - exact) <= 0.02 * exact, "latency(): p95 within 2% of the exact");
  }
  RequestQuery rq;
  rq.service = service;
  rq.range = day;
  rq.limit = 100;
  auto newest = a.raw ? store.requests(rq) : std::vector<StoredRequest>{};
  bool newest_first = newest.size() == 100;
  for (size_t i = 1; i < newest.size(); ++i)
    newest_first = newest_first && newest[i - 1].record.start_ns >= newest[i].record.start_ns &&
                   newest[i].service == service;
  if (a.raw)
    expect(
        newest_first && newest[0].record.start_ns ==
                            scalar(c, "SELECT max(start_ns) FROM loupe_records WHERE service = " +
                                          quote_literal(service)),
        "requests(): 100 of the service, newest first, the first the service's newest");

  std::printf("# queries over %llu records, load average %s\n", static_cast<unsigned long long>(n),
              loadavg().c_str());
  time_query(c, a.data_dir, "services (GET /api/v1/services, 24 h)",
             [&] { return store.services({.range = day}).size(); });
  time_query(c, a.data_dir, "endpoints (GET /api/v1/endpoints, 24 h)",
             [&] { return store.endpoints(std::nullopt, day).size(); });
  time_query(c, a.data_dir, "endpoints of one service (24 h)",
             [&] { return store.endpoints(service, day).size(); });
  time_query(c, a.data_dir, "p95 by minute, one route (GET /api/v1/latency, 24 h)",
             [&] { return store.latency(lq).size(); });
  time_query(c, a.data_dir, "map (GET /api/v1/map, 24 h)", [&] { return store.map(day).size(); });
  if (!a.raw) return;
  time_query(c, a.data_dir, "newest 100 requests of a service (GET /api/v1/requests, 24 h)",
             [&] { return store.requests(rq).size(); });
  time_query(c, a.data_dir, "count of a service's requests (GET /api/v1/requests/count, 24 h)",
             [&] { return static_cast<size_t>(store.count_requests(rq, 1'000'001)); });
  RequestQuery last_hour = rq;
  last_hour.range = {day.to_ns - 3600ULL * 1'000'000'000ULL, day.to_ns};
  time_query(c, a.data_dir, "newest 100 requests of a service (last hour)",
             [&] { return store.requests(last_hour).size(); });
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  ClientOptions options;
  options.timeout = std::chrono::hours(2);  // one chunk's INSERT SELECT on a loaded machine
  Client client(parse_url(a.url), options);
  std::printf("server: ClickHouse %s\n", client.server_version().to_string().c_str());
  try {
    if (a.load) load(client, a);
    migrate_and_compact(client);
    storage(client, a.records);
    queries(client, a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clickhouse_scale_bench: %s\n", e.what());
    return 1;
  }
  std::printf("checks failed: %d\n", failures);
  return failures == 0 ? 0 : 1;
}
