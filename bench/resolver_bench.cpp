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
// Prints "workload: ns per record" lines (best and median of the rounds).
// --dump writes every resolved row of two rounds and the metrics
// exposition, so two builds' answers can be compared with diff.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/record.h"
#include "cpu_time.h"
#include "export/exposition.h"
#include "export/request_metrics.h"
#include "pipeline/resolver.h"
#include "store/batch_records.h"

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
    r.node = "node-1";
    r.namespace_ = "shop";
    r.pod = srv ? "api-7d9f8b6c5-x2x4k" : "web-5c6d7f8b9-abcde";
    r.container = srv ? "api" : "web";
    r.workload = srv ? "Deployment/api" : "Deployment/web";
    r.service = srv ? "api" : "web";
    r.remote_namespace = "shop";
    r.remote_pod = srv ? "web-5c6d7f8b9-abcde" : "api-7d9f8b6c5-x2x4k";
    r.remote_workload = srv ? "Deployment/web" : "Deployment/api";
    r.remote_service = srv ? "web" : "api";
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
        const auto& id = row.service;
        const auto& c = row.caller;
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
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--records") records = std::stoul(argv[i + 1]);
    if (k == "--rounds") rounds = std::stoi(argv[i + 1]);
    if (k == "--dump") {
      dump(argv[i + 1]);
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
    for (int r = 0; r < rounds; ++r) ns.push_back(run(w.round, records));
    std::sort(ns.begin(), ns.end());
    std::printf("%s: %.0f ns per record (best), %.0f (median of %d)\n", w.name, ns.front(),
                ns[ns.size() / 2], rounds);
  }
  return 0;
}
