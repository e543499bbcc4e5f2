// Store throughput and query latency: how many records/s SqliteStore ingests
// on this machine, how many bytes each costs on disk, and how long the
// dashboard queries take over a day of data. Plain program (not a
// micro-benchmark loop) because one run fills a multi-GB database once.
//
//   store_bench [--records N] [--hours H] [--endpoints E] [--dir DIR] [--batch B]
//               [--dense-only 1] [--profile-parts N]
// --dense-only 1: only the dense ingest (the writer's CPU per record), for
// alternating two builds quickly (bench/store_bench.sh --ab).
// --profile-parts N: only N parts of a continuous profile written as
// `loupe run`'s profiler ships them (every 10 s: the same processes'
// chains again, a few new), and the CPU each costs the store.
// Results are printed as "key: value" lines; bench/store_bench.sh runs the
// standard sizes and docs/benchmarks.md ("Store") records them.
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "cpu_time.h"
#include "pipeline/ingest_queue.h"
#include "pipeline/record_pipeline.h"
#include "store/store.h"

using namespace loupe;
using Clock = std::chrono::steady_clock;

using loupe::bench::thread_cpu_s;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Args {
  uint64_t records = 1'000'000;
  uint64_t hours = 24;
  int endpoints = 200;  // 20 services x 10 routes
  size_t batch = 50'000;
  std::string dir = "/tmp/loupe-store-bench";
  bool dense_only = false;
  int profile_parts = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--records")
      a.records = std::stoull(v);
    else if (k == "--hours")
      a.hours = std::stoull(v);
    else if (k == "--endpoints")
      a.endpoints = std::stoi(v);
    else if (k == "--batch")
      a.batch = std::stoull(v);
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--dense-only")
      a.dense_only = v != "0";
    else if (k == "--profile-parts")
      a.profile_parts = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

// A realistic-looking HTTP server record: endpoint e of service e/10.
Record make_record(std::mt19937_64& rng, uint64_t start_ns, int e) {
  static std::lognormal_distribution<double> lat(std::log(4e6), 0.9);
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + static_cast<uint64_t>(lat(rng));
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = 1000 + static_cast<uint32_t>(e / 10);
  r.comm = "svc" + std::to_string(e / 10);
  r.local_addr = "10.0.0.1:" + std::to_string(8000 + e / 10);
  r.remote_addr = "10.0.0.2:" + std::to_string(30000 + rng() % 30000);
  r.method = e % 3 ? "GET" : "POST";
  r.route = "/api/v1/resource" + std::to_string(e % 10) + "/{id}";
  r.path = "/api/v1/resource" + std::to_string(e % 10) + "/" + std::to_string(rng() % 100000);
  r.host = "svc" + std::to_string(e / 10) + ".internal";
  r.status = rng() % 100 == 0 ? 500 : 200;
  r.error = r.status >= 500;
  r.req_bytes = 200 + rng() % 500;
  r.resp_bytes = 500 + rng() % 5000;
  return r;
}

struct IngestResult {
  double wall_s = 0, cpu_s = 0;
};

// Writes `n` records, `gap_ns` apart from `t0`, in batches of `batch`.
IngestResult ingest(store::Store& st, uint64_t n, uint64_t t0, uint64_t gap_ns, size_t batch_size,
                    int endpoints) {
  pipeline::RecordPipeline pipe(st);
  std::mt19937_64 rng(42);
  IngestResult res;
  std::vector<Record> batch;
  for (uint64_t done = 0; done < n;) {
    batch.clear();
    for (size_t i = 0; i < batch_size && done < n; ++i, ++done)
      batch.push_back(make_record(rng, t0 + done * gap_ns, static_cast<int>(rng() % endpoints)));
    auto t = Clock::now();
    double c = thread_cpu_s();
    pipe.write(batch);
    res.cpu_s += thread_cpu_s() - c;
    res.wall_s += seconds_since(t);
  }
  return res;
}

void print_ingest(const char* name, uint64_t n, const IngestResult& r, store::Store& st) {
  auto stats = st.stats();
  std::printf("%s_records: %llu\n", name, static_cast<unsigned long long>(n));
  std::printf("%s_records_per_s: %.0f (wall)\n", name, static_cast<double>(n) / r.wall_s);
  std::printf("%s_records_per_cpu_s: %.0f (writer thread CPU time)\n", name,
              static_cast<double>(n) / r.cpu_s);
  std::printf("%s_us_per_record: %.3f (writer thread CPU time)\n", name,
              r.cpu_s * 1e6 / static_cast<double>(n));
  std::printf("%s_bytes_per_record: %.1f\n", name,
              static_cast<double>(stats.store_size_bytes) / static_cast<double>(n));
}

// Part `part` of a host's profile: 20 processes, each 30 chains of
// 12-40 frames out of 4,000 names of C++-like length (500 a process); a part's chains are
// mostly the last part's again (a process's hot paths stay hot) and its
// minute turns every six parts.
std::vector<ProfileMinute> profile_part(int part, uint64_t now_s) {
  std::mt19937_64 rng(static_cast<uint64_t>(part) / 3);  // chains repeat part to part
  std::vector<ProfileMinute> out;
  for (uint32_t p = 0; p < 20; ++p) {
    ProfileMinute m;
    m.minute_s = (now_s / 60 + static_cast<uint64_t>(part) / 6) * 60;
    m.entity.node = "node-1";
    m.entity.pid = 2000 + p;
    m.entity.process = "proc" + std::to_string(p);
    for (int c = 0; c < 30; ++c) {
      std::vector<std::string> frames;
      const size_t depth = 12 + rng() % 29;
      for (size_t f = 0; f < depth; ++f)
        frames.push_back("ns" + std::to_string(p % 8) + "::Class" + std::to_string(rng() % 500) +
                         "::method_with_a_long_name(std::string_view, unsigned long)");
      m.stacks.add(frames, 1 + rng() % 20);
    }
    out.push_back(std::move(m));
  }
  return out;
}

// Writes `parts` profile parts; prints the store's CPU per part.
void profile_ingest(store::Store& st, int parts, uint64_t now_s) {
  double cpu_s = 0;
  for (int part = 0; part < parts; ++part) {
    std::vector<ProfileMinute> minutes = profile_part(part, now_s);
    double c = thread_cpu_s();
    st.write_profiles(minutes, std::nullopt);
    cpu_s += thread_cpu_s() - c;
  }
  std::printf("profile_part_ms: %.3f (writer thread CPU time, %d parts)\n", cpu_s * 1e3 / parts,
              parts);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  std::filesystem::remove_all(a.dir);
  store::StoreOptions opts;
  opts.retention_ns = 0;  // the synthetic data lies in the past
  const uint64_t now_s = 1'764'000'000ULL;

  if (a.profile_parts > 0) {
    auto st = store::open_sqlite_store(a.dir + "/profiles", opts);
    profile_ingest(*st, a.profile_parts, now_s);
    return 0;
  }

  // 1. Dense ingest: timestamps as a host doing 300k req/s would produce
  // them, so each batch touches the endpoints of ~one minute, as in
  // production. This is the throughput number.
  {
    auto st = store::open_sqlite_store(a.dir + "/dense", opts);
    const uint64_t n = std::min<uint64_t>(a.records, 2'000'000);
    auto r = ingest(*st, n, now_s * 1'000'000'000ULL, 3333, a.batch, a.endpoints);
    print_ingest("dense_ingest", n, r, *st);
    if (a.dense_only) return 0;

    // Through the queue, as `loupe run` does: the producer pushes
    // 1000-record batches as fast as it can generate them.
    pipeline::IngestQueue q(*st);
    const uint64_t qn = 500'000;
    std::mt19937_64 rng(7);
    auto t = Clock::now();
    for (uint64_t i = 0; i < qn; i += 1000) {
      std::vector<Record> b;
      for (uint64_t k = 0; k < 1000; ++k)
        b.push_back(make_record(rng, (now_s + 100) * 1'000'000'000ULL + (i + k) * 3333,
                                static_cast<int>(rng() % a.endpoints)));
      q.push(std::move(b));
    }
    q.flush();
    auto qs = q.stats();
    std::printf("queue_records_per_s: %.0f (wall, incl. generating records; dropped %llu)\n",
                static_cast<double>(qs.written) / seconds_since(t),
                static_cast<unsigned long long>(qs.dropped));
  }

  // 2. A day of data, spread evenly, for the query timings.
  auto st = store::open_sqlite_store(a.dir + "/day", opts);
  const uint64_t span_ns = a.hours * 3600ULL * 1'000'000'000ULL;
  const uint64_t t0 = (now_s - a.hours * 3600) * 1'000'000'000ULL;
  auto r = ingest(*st, a.records, t0, span_ns / a.records, a.batch, a.endpoints);
  print_ingest("day_ingest", a.records, r, *st);

  store::TimeRange day{t0, t0 + span_ns};
  auto time_query = [](const char* name, auto&& fn) {
    fn();  // warm the page cache once; dashboards re-query constantly
    auto t = Clock::now();
    size_t n = fn();
    std::printf("%s_ms: %.1f (%zu rows)\n", name, seconds_since(t) * 1e3, n);
  };
  store::LatencyQuery lq;
  lq.service = "svc0:8000";
  lq.route = "/api/v1/resource1/{id}";
  lq.quantile = 0.95;
  lq.step_s = 60;
  lq.range = day;
  time_query("latency_p95_by_minute_24h", [&] { return st->latency(lq).size(); });
  lq.route.reset();
  time_query("latency_p95_by_minute_24h_whole_service", [&] { return st->latency(lq).size(); });
  time_query("services_24h", [&] { return st->services({.range = day}).size(); });
  time_query("endpoints_24h", [&] { return st->endpoints(std::nullopt, day).size(); });
  store::TimeRange last15{t0 + span_ns - 15 * 60'000'000'000ULL, t0 + span_ns};
  time_query("endpoints_15m", [&] { return st->endpoints(std::nullopt, last15).size(); });
  store::RequestQuery rq;
  rq.range = day;
  rq.service = "svc3:8003";
  rq.limit = 100;
  time_query("requests_newest_100_service", [&] { return st->requests(rq).size(); });
  // What GET /api/v1/requests asks besides the newest page: the slowest of
  // the window, a text search (rare: one path in 100000 per endpoint), the
  // bounded count beside each page, and one request by id.
  rq.order = store::RequestOrder::Slowest;
  time_query("requests_slowest_100_service", [&] { return st->requests(rq).size(); });
  rq.order = store::RequestOrder::Newest;
  rq.text = "RESOURCE3/4242";
  time_query("requests_text_100_service", [&] { return st->requests(rq).size(); });
  time_query("count_requests_text_service", [&] { return st->count_requests(rq, 10001); });
  rq.text.clear();
  time_query("count_requests_service", [&] { return st->count_requests(rq, 10001); });
  rq.range = last15;
  time_query("requests_newest_100_service_15m", [&] { return st->requests(rq).size(); });
  rq.range = day;
  rq.service.reset();
  time_query("requests_newest_100_any", [&] { return st->requests(rq).size(); });
  auto some = st->requests(rq);
  time_query("request_by_id", [&] {
    size_t n = 0;
    for (const auto& listed : some) n += st->request(listed.id).has_value();
    return n;
  });
  rq.min_duration_ns = 200'000'000;
  time_query("requests_slow_100_any", [&] { return st->requests(rq).size(); });
  return 0;
}
