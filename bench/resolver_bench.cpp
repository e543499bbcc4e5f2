// The ingest writer's work before SQLite (docs/benchmarks.md, issue 14):
// a round of records as `loupe run` hands them over (at ~90k records/s the
// agent hands over ~450 records every 5 ms: a round is 32 vectors of 512)
// through the resolve stage (pipeline/resolver.h) and the
// Prometheus request metrics (export/request_metrics.h), as
// RecordPipeline::write does around Store::write_batch. No store: the CPU
// per record of this stage alone. Thread CPU time grows with the load on a
// shared VM: compare builds in alternating runs.
//
// Workloads, both sides of each connection on one host as `loupe run`
// sees them:
//   http      nginx `return 200` (pid 2002, port 18080) under wrk (pid
//             2001), 32 keep-alive connections, one route;
//   http_k8s  the same between two Kubernetes workloads (pods, workloads
//             and services named on both sides), 8 routes.
//
//   resolver_bench [--records N] [--rounds R] [--dump FILE]
//                  [--store DIR] [--store-dump FILE]
// Prints "workload: ns per record" lines (best and median of the rounds).
// --dump writes every resolved row of two rounds and the metrics
// exposition, so two builds' answers can be compared with diff.
// --store DIR: the whole ingest writer instead, as `loupe run`'s writer
// thread runs it: RecordPipeline::write into an embedded store in DIR
// (emptied first), the request metrics told after the commit, and the
// round's vectors given back to a batch pool (which destroys the records);
// the records are copied in from the workload before each round, untimed.
// --store-dump FILE: two rounds of each workload through that writer, then
// what the store answers (every request, endpoints, the map, workloads,
// pods) and the metrics exposition, for diff between builds.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/record_batch_pool.h"
#include "cpu_time.h"
#include "export/exposition.h"
#include "export/request_metrics.h"
#include "pipeline/record_pipeline.h"
#include "pipeline/resolver.h"
#include "store/batch_records.h"
#include "store/store.h"

using namespace loupe;

namespace {

constexpr size_t kVector = 512, kVectorsPerRound = 32;

// Request i of connection c, client side (wrk) or server side (nginx).
Record http_record(size_t i, size_t c, Role role, bool k8s) {
  Record r;
  r.start_ns = 1'800'000'000'000'000'000ULL + i * 20'000;
  r.end_ns = r.start_ns + 40'000 + (i % 7) * 3'000;
  r.protocol = Protocol::Http1;
  r.role = role;
  std::string client = (k8s ? "10.244.0.7:" : "127.0.0.1:") + std::to_string(40000 + c);
  std::string server = k8s ? "10.244.0.9:8080" : "127.0.0.1:18080";
  r.method = "GET";
  r.route = k8s ? "/api/v1/items/" + std::to_string(i % 8) : "/a";
  r.path = r.route;
  r.host = server;
  r.status = 200;
  r.req_bytes = 40;
  r.resp_bytes = 160;
  if (role == Role::Client) {
    r.pid = r.tid = 2001;
    r.comm = "wrk";
    r.local_addr = client;
    r.remote_addr = server;
  } else {
    r.pid = r.tid = 2002;
    r.comm = "nginx";
    r.local_addr = server;
    r.remote_addr = client;
  }
  if (k8s) {
    bool srv = role == Role::Server;
    // Interned, as the server's enrichment does: every record of a pod
    // points at one identity.
    r.local_identity = intern({.node = "node-1",
                               .namespace_ = "shop",
                               .pod = srv ? "api-7d9f8b6c5-x2x4k" : "web-5c6d7f8b9-abcde",
                               .container = srv ? "api" : "web",
                               .workload = srv ? "Deployment/api" : "Deployment/web",
                               .service = srv ? "api" : "web"});
    r.remote_identity = intern({.namespace_ = "shop",
                                .pod = srv ? "web-5c6d7f8b9-abcde" : "api-7d9f8b6c5-x2x4k",
                                .workload = srv ? "Deployment/web" : "Deployment/api",
                                .service = srv ? "web" : "api"});
  }
  return r;
}

// One round: vectors of kVector records, each request's client and server
// record, connections taking turns.
std::vector<std::vector<Record>> round_of(bool k8s) {
  std::vector<std::vector<Record>> round(kVectorsPerRound);
  size_t i = 0;
  for (auto& v : round) {
    v.reserve(kVector);
    while (v.size() < kVector) {
      size_t c = i % 32;
      v.push_back(http_record(i, c, Role::Server, k8s));
      v.push_back(http_record(i, c, Role::Client, k8s));
      ++i;
    }
  }
  return round;
}

// ns of thread CPU per record for `records` records in rounds of `round`.
double run(const std::vector<std::vector<Record>>& round, size_t records) {
  pipeline::Resolver resolver;
  exporting::RequestMetrics metrics;
  store::ResolvedBatch batch;
  store::BatchRecords view;
  for (const auto& v : round) view.append(v);
  size_t done = 0;
  double t0 = bench::thread_cpu_s();
  while (done < records) {
    resolver.resolve(view, batch);
    // As RecordPipeline::write tells its observer after the commit.
    metrics.observe_batch(batch);
    done += view.size();
  }
  double t1 = bench::thread_cpu_s();
  if (metrics.series() == 0) std::exit(1);
  return (t1 - t0) * 1e9 / static_cast<double>(done);
}

// The writer's side of `loupe run` for one round: the round's records
// copied into pooled vectors (the pump's work, untimed), then written,
// observed and given back (timed). Returns the thread CPU seconds.
double write_round(const std::vector<std::vector<Record>>& round, pipeline::RecordPipeline& pipe,
                   RecordBatchPool& pool) {
  std::vector<std::vector<Record>> vectors;
  store::BatchRecords view;
  for (const auto& v : round) {
    vectors.push_back(pool.take(v.size()));
    vectors.back().assign(v.begin(), v.end());
    view.append(vectors.back());
  }
  double t0 = bench::thread_cpu_s();
  pipe.write(view);
  for (auto& v : vectors) pool.give(std::move(v));
  return bench::thread_cpu_s() - t0;
}

// ns of writer CPU per record through a store in `dir`.
double run_store(const std::vector<std::vector<Record>>& round, size_t records,
                 const std::string& dir) {
  std::filesystem::remove_all(dir);
  store::StoreOptions opts;
  opts.retention_ns = 0;  // the records lie in the future
  auto st = store::open_sqlite_store(dir, opts);
  exporting::RequestMetrics metrics;
  pipeline::RecordPipeline pipe(*st, {.observer = &metrics});
  RecordBatchPool pool;
  size_t done = 0;
  double cpu = 0;
  while (done < records) {
    cpu += write_round(round, pipe, pool);
    for (const auto& v : round) done += v.size();
  }
  return cpu * 1e9 / static_cast<double>(done);
}

void store_dump(const char* path, const std::string& dir) {
  FILE* f = std::fopen(path, "w");
  if (!f) std::exit(2);
  for (bool k8s : {false, true}) {
    auto round = round_of(k8s);
    std::filesystem::remove_all(dir);
    store::StoreOptions opts;
    opts.retention_ns = 0;
    auto st = store::open_sqlite_store(dir, opts);
    exporting::RequestMetrics metrics;
    {
      pipeline::RecordPipeline pipe(*st, {.observer = &metrics});
      RecordBatchPool pool;
      for (int pass = 0; pass < 2; ++pass) write_round(round, pipe, pool);
    }
    store::TimeRange all{0, ~uint64_t{0}};
    store::RequestQuery q;
    // Not `all`: the chunks' SQL binds the range's end as a signed
    // integer, and ~0 (-1) selected none, so the dump held no request.
    q.range = {0, uint64_t{INT64_MAX}};
    q.limit = 1'000'000;
    q.with_self = true;
    for (const store::StoredRequest& s : st->requests(q)) {
      const Record& r = s.record;
      std::fprintf(
          f, "%lld %s %s %d | %llu %llu %s %s %u %s %s %s %s %s %s %d %s %s %s %s\n",
          static_cast<long long>(s.id), s.service.c_str(), s.caller.c_str(), s.counted,
          static_cast<unsigned long long>(r.start_ns), static_cast<unsigned long long>(r.end_ns),
          std::string(to_string(r.protocol)).c_str(), std::string(to_string(r.role)).c_str(), r.pid,
          r.comm.c_str(), r.local_addr.c_str(), r.remote_addr.c_str(), r.method.c_str(),
          r.route.c_str(), r.host.c_str(), r.status, r.node().c_str(), r.pod().c_str(),
          r.workload().c_str(), r.remote_pod().c_str());
    }
    auto red = [&](const store::RedSummary& s) {
      std::fprintf(f, " | %llu %llu %.6f %.6f %.6f\n", static_cast<unsigned long long>(s.requests),
                   static_cast<unsigned long long>(s.errors), s.p50_ms, s.p95_ms, s.p99_ms);
    };
    for (const auto& e : st->endpoints(std::nullopt, all)) {
      std::fprintf(f, "endpoint %s %s %s %s", e.service.c_str(), e.method.c_str(), e.route.c_str(),
                   std::string(to_string(e.protocol)).c_str());
      red(e.red);
    }
    for (const auto& e : st->map(all)) {
      std::fprintf(f, "edge %s %s -> %s %s", e.caller.c_str(), e.caller_kind.c_str(),
                   e.callee.c_str(), e.callee_kind.c_str());
      red(e.red);
    }
    for (const auto& w : st->workloads(all)) {
      std::fprintf(f, "workload %s", w.name.c_str());
      red(w.red);
    }
    for (const auto& p : st->pods(std::nullopt, all)) {
      std::fprintf(f, "pod %s %s", p.pod.c_str(), p.workload.c_str());
      red(p.red);
    }
    for (const auto& s : st->services({.range = all})) {
      std::fprintf(f, "service %s %s", s.name.c_str(), s.kind.c_str());
      red(s.red);
    }
    exporting::ExpositionWriter w(exporting::ExpositionFormat::PrometheusText);
    metrics.write(w);
    std::fprintf(f, "%s\n", w.finish().c_str());
  }
  std::filesystem::remove_all(dir);
  std::fclose(f);
}

void dump(const char* path) {
  FILE* f = std::fopen(path, "w");
  if (!f) std::exit(2);
  for (bool k8s : {false, true}) {
    auto round = round_of(k8s);
    pipeline::Resolver resolver;
    exporting::RequestMetrics metrics;
    store::BatchRecords view;
    for (const auto& v : round) view.append(v);
    for (int pass = 0; pass < 2; ++pass) {
      store::ResolvedBatch batch = resolver.resolve(view);
      for (const auto& s : batch.new_services)
        std::fprintf(f, "new %s %s %u %s\n", s.name.c_str(), s.kind.c_str(), s.port, s.ip.c_str());
      for (const store::ResolvedRecord& row : batch.rows) {
        const auto& id = *row.service;
        const auto& c = *row.caller;
        std::fprintf(f, "%u %s %s %d %d %.*s | %s %s %d %s | %d %.*s\n", row.index, id.name.c_str(),
                     id.kind.c_str(), id.port.value_or(0), id.counted,
                     static_cast<int>(row.route.size()), row.route.data(), c.name.c_str(),
                     c.kind.c_str(), c.counted, c.stable_name.c_str(), row.workload_served,
                     static_cast<int>(row.pod.size()), row.pod.data());
      }
      metrics.observe_batch(batch);
    }
    exporting::ExpositionWriter w(exporting::ExpositionFormat::PrometheusText);
    metrics.write(w);
    std::fprintf(f, "%s\n", w.finish().c_str());
  }
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  size_t records = 400'000;
  int rounds = 5;
  std::string store_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--records") records = std::stoul(argv[i + 1]);
    if (k == "--rounds") rounds = std::stoi(argv[i + 1]);
    if (k == "--store") store_dir = argv[i + 1];
    if (k == "--dump") {
      dump(argv[i + 1]);
      return 0;
    }
    if (k == "--store-dump") {
      store_dump(argv[i + 1], std::filesystem::temp_directory_path() / "loupe-resolver-bench");
      return 0;
    }
  }
  struct Workload {
    const char* name;
    std::vector<std::vector<Record>> round;
  };
  Workload workloads[] = {{"http", round_of(false)}, {"http_k8s", round_of(true)}};
  for (const Workload& w : workloads) {
    std::vector<double> ns;
    for (int r = 0; r < rounds; ++r)
      ns.push_back(store_dir.empty() ? run(w.round, records)
                                     : run_store(w.round, records, store_dir));
    std::sort(ns.begin(), ns.end());
    std::printf("%s: %.0f ns per record (best), %.0f (median of %d)\n", w.name, ns.front(),
                ns[ns.size() / 2], rounds);
  }
  return 0;
}
