// The ClickHouse layer's throughput and footprint against a running server:
// RowBinary encoding per CPU second, batched idempotent inserts per second
// (and the server's CPU per record when its pid is given), compressed bytes
// per record as ClickHouse reports them, and the dashboard's queries over
// the data. bench/clickhouse_bench.sh starts Debian's clickhouse-server and
// runs this; results are "key: value" lines for docs/storage-clickhouse.md.
//
//   clickhouse_bench --url clickhouse://127.0.0.1:PORT/DB [--records N]
//                    [--hours H] [--batch B] [--server-pid PID] [--compress 0|1]
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cpu_time.h"
#include "store/clickhouse/client.h"
#include "store/clickhouse/features.h"
#include "store/clickhouse/insert.h"
#include "store/clickhouse/request_rows.h"
#include "store/clickhouse/schema.h"

using namespace loupe;
using namespace loupe::store::clickhouse;
using Clock = std::chrono::steady_clock;

using loupe::bench::thread_cpu_s;

namespace {

// utime + stime of a process in seconds (0 when it cannot be read).
double process_cpu_s(long pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Args {
  std::string url;
  uint64_t records = 1'000'000;
  uint64_t hours = 24;
  size_t batch = 50'000;
  long server_pid = 0;
  bool compress = true;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      a.url = v;
    else if (k == "--records")
      a.records = std::stoull(v);
    else if (k == "--hours")
      a.hours = std::stoull(v);
    else if (k == "--batch")
      a.batch = std::stoull(v);
    else if (k == "--server-pid")
      a.server_pid = std::stol(v);
    else if (k == "--compress")
      a.compress = v != "0";
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.url.empty()) {
    std::fprintf(stderr, "--url clickhouse://HOST:PORT/DB is required\n");
    std::exit(2);
  }
  return a;
}

// An HTTP server exchange of one of 200 endpoints (20 services x 10 routes),
// latencies log-normal around 4 ms, 1% errors.
Record generate(std::mt19937_64& rng, uint64_t start_ns) {
  static std::lognormal_distribution<double> latency(std::log(4e6), 0.9);
  int endpoint = static_cast<int>(rng() % 200);
  std::string service = "svc" + std::to_string(endpoint / 10);
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + static_cast<uint64_t>(latency(rng));
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = 1000 + static_cast<uint32_t>(endpoint / 10);
  r.comm = service;
  edit(r.local_identity).service = service;
  r.local_addr = "10.0.0.1:8080";
  r.remote_addr =
      "10.0.1." + std::to_string(rng() % 250) + ":" + std::to_string(30000 + rng() % 30000);
  r.method = endpoint % 3 ? "GET" : "POST";
  r.route = "/api/v1/items" + std::to_string(endpoint % 10) + "/{id}";
  r.path = "/api/v1/items" + std::to_string(endpoint % 10) + "/" + std::to_string(rng() % 100000);
  r.host = service + ".internal";
  r.status = rng() % 100 == 0 ? 500 : 200;
  r.error = r.status >= 500;
  r.req_bytes = 200 + rng() % 500;
  r.resp_bytes = 500 + rng() % 5000;
  edit(r.local_identity).namespace_ = "shop";
  edit(r.local_identity).pod = service + "-7d9f8c6b5-" + std::to_string(rng() % 4);
  edit(r.local_identity).workload = "Deployment/" + service;
  return r;
}

void time_query(Client& client, const char* name, const std::string& sql, size_t columns) {
  client.select(sql, columns);  // once to warm the caches, as dashboards re-query
  auto t = Clock::now();
  size_t rows = client.select(sql, columns).size();
  std::printf("%s_ms: %.1f (%zu rows)\n", name,
              std::chrono::duration<double, std::milli>(Clock::now() - t).count(), rows);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  ClientOptions options;
  options.compress_inserts = a.compress;
  Client client(parse_url(a.url), options);
  Version version = client.server_version();
  client.execute_in_default("DROP DATABASE IF EXISTS " + client.url().database);
  migrate(client, features_of(version));
  std::printf("server: ClickHouse %s, features: %s\n", version.to_string().c_str(),
              to_string(features_of(version)).c_str());

  const uint64_t span_ns = a.hours * 3600ULL * 1'000'000'000ULL;
  const uint64_t t0 = 1'764'000'000ULL * 1'000'000'000ULL;
  const uint64_t gap_ns = span_ns / a.records;
  std::mt19937_64 rng(42);
  std::vector<Record> records;
  records.reserve(a.records);
  for (uint64_t i = 0; i < a.records; ++i) records.push_back(generate(rng, t0 + i * gap_ns));

  // Encoding alone: what building the INSERT bodies costs per record.
  {
    RowBinaryWriter out;
    double c = thread_cpu_s();
    size_t bytes = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      encode_request(out, records[i], "bench");
      if (out.size() > (64 << 20)) {
        bytes += out.size();
        out.clear();
      }
    }
    bytes += out.size();
    double cpu = thread_cpu_s() - c;
    std::printf("encode_records_per_cpu_s: %.0f\n", static_cast<double>(records.size()) / cpu);
    std::printf("rowbinary_bytes_per_record: %.1f\n",
                static_cast<double>(bytes) / static_cast<double>(records.size()));
  }

  // Inserts, batch by batch, as a server's writer would send them.
  double client_cpu = 0;
  double server_cpu0 = process_cpu_s(a.server_pid);
  auto t = Clock::now();
  for (size_t i = 0, n = 0; i < records.size(); i += a.batch, ++n) {
    size_t len = std::min(a.batch, records.size() - i);
    double c = thread_cpu_s();
    insert_requests(client, "bench-" + std::to_string(n),
                    std::span<const Record>(records).subspan(i, len));
    client_cpu += thread_cpu_s() - c;
  }
  double wall = std::chrono::duration<double>(Clock::now() - t).count();
  double server_cpu = process_cpu_s(a.server_pid) - server_cpu0;
  double n = static_cast<double>(records.size());
  std::printf("insert_records: %zu in batches of %zu, %s\n", records.size(), a.batch,
              a.compress ? "gzip bodies" : "uncompressed bodies");
  std::printf("insert_records_per_s: %.0f (wall)\n", n / wall);
  std::printf("insert_client_us_per_record: %.2f (CPU: encode, gzip, HTTP)\n",
              client_cpu / n * 1e6);
  if (a.server_pid > 0)
    std::printf("insert_server_us_per_record: %.2f (clickhouse-server CPU during the inserts)\n",
                server_cpu / n * 1e6);

  // Let background merges settle so the sizes are those of merged parts.
  client.execute("OPTIMIZE TABLE loupe_requests FINAL");
  client.execute("OPTIMIZE TABLE loupe_requests_minute FINAL");
  for (const char* table : {"loupe_requests", "loupe_requests_minute"}) {
    auto rows = client.select(
        "SELECT sum(data_compressed_bytes), sum(data_uncompressed_bytes), sum(rows) FROM "
        "system.parts WHERE active AND database = " +
            quote_literal(client.url().database) + " AND table = " + quote_literal(table),
        3);
    double compressed = std::stod(rows[0][0]), uncompressed = std::stod(rows[0][1]);
    std::printf("%s: %s rows, %.1f compressed bytes per record (%.1f uncompressed)\n", table,
                rows[0][2].c_str(), compressed / n, uncompressed / n);
  }

  const std::string day = "minute >= toDateTime(" + std::to_string(t0 / 1'000'000'000ULL) +
                          ") AND minute < toDateTime(" +
                          std::to_string((t0 + span_ns) / 1'000'000'000ULL) + ")";
  time_query(client, "p95_by_minute_one_route",
             "SELECT minute, countMerge(requests), quantileTDigestMerge(0.95)(latency) FROM "
             "loupe_requests_minute WHERE service = 'svc3' AND route = '/api/v1/items3/{id}' AND " +
                 day + " GROUP BY minute ORDER BY minute",
             3);
  time_query(client, "endpoints",
             "SELECT service, route, countMerge(requests), sumMerge(errors), "
             "quantileTDigestMerge(0.95)(latency) FROM loupe_requests_minute WHERE " +
                 day + " GROUP BY service, route",
             5);
  time_query(client, "newest_100_of_a_service",
             "SELECT start_ns, duration_ns, method, path, status FROM loupe_requests WHERE "
             "service = 'svc3' ORDER BY time DESC LIMIT 100",
             5);
  return 0;
}
