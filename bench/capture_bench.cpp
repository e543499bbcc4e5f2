// The agent's capture path alone (docs/benchmarks.md, issue 14): raw
// ring-buffer events, as the BPF program writes them, through
// ConnectionTracker (protocol detection, parser, FinishingParser, identity)
// into a batch the way Agent builds one, handed over and emptied every
// 4,096 records. No kernel, no store: the CPU per record of this stage,
// so a change to the tracker, the parsers or Record can be measured on its
// own. Thread CPU time still grows with the load on a shared VM: compare
// builds in alternating runs.
//
// Each workload runs twice: records built into the batch as `loupe run`
// does, and encoded per segment as `loupe agent` does (built in the
// tracker's own vector, encoded by it with their connection's identity
// into EncodedRecords, destroyed; the encoded batch emptied every 4,096
// records), so the encoding is counted there.
//
// Workloads, both sides of each connection traced as on one host:
//   http   nginx `return 200` under wrk (one request and one response per
//          syscall, keep-alive), 4 events per request, 2 records;
//   redis  redis-benchmark -P 16 (16 SETs per write, 16 +OK per read).
//
//   capture_bench [--requests N] [--rounds R] [--only WORKLOAD[ encoded]]
// Prints "workload: ns per record" lines (best and median of the rounds).
// --only runs one line's workload alone ("http encoded": what `loupe
// agent` does with HTTP), e.g. for an instruction count under callgrind.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/connection_tracker.h"
#include "core/batch_codec.h"
#include "core/record.h"
#include "cpu_time.h"

using namespace loupe;

namespace {

struct Events {
  std::vector<std::vector<uint8_t>> open;  // once
  std::vector<std::vector<uint8_t>> loop;  // per request (or pipelined batch)
  size_t records_per_loop = 0;
};

loupe_addr v4(uint16_t port) {
  loupe_addr a{};
  a.family = 2;  // AF_INET
  a.port = port;
  const uint8_t lo[4] = {127, 0, 0, 1};
  std::memcpy(a.addr, lo, 4);
  return a;
}

std::vector<uint8_t> open_event(uint32_t tgid, int32_t fd, uint8_t origin, uint16_t local,
                                uint16_t remote, const char* comm) {
  loupe_open_event ev{};
  ev.h.type = LOUPE_EV_OPEN;
  ev.h.origin = origin;
  ev.h.sock_type = 1;  // SOCK_STREAM
  ev.h.tgid = tgid;
  ev.h.tid = tgid;
  ev.h.fd = fd;
  ev.h.gen = 1000 + static_cast<uint64_t>(fd);
  ev.h.ts_ns = 1'000'000;
  ev.local = v4(local);
  ev.remote = v4(remote);
  std::strncpy(ev.comm, comm, sizeof ev.comm - 1);
  std::vector<uint8_t> raw(sizeof ev);
  std::memcpy(raw.data(), &ev, sizeof ev);
  return raw;
}

std::vector<uint8_t> data_event(uint32_t tgid, int32_t fd, uint8_t dir, std::string_view bytes) {
  loupe_data_event ev{};
  ev.h.type = LOUPE_EV_DATA;
  ev.h.dir = dir;
  ev.h.sock_type = 1;
  ev.h.tgid = tgid;
  ev.h.tid = tgid;
  ev.h.fd = fd;
  ev.h.gen = 1000 + static_cast<uint64_t>(fd);
  ev.h.ts_ns = 2'000'000;
  ev.length = bytes.size();
  ev.captured = static_cast<uint32_t>(bytes.size());
  std::vector<uint8_t> raw(sizeof ev + bytes.size());
  std::memcpy(raw.data(), &ev, sizeof ev);
  std::memcpy(raw.data() + sizeof ev, bytes.data(), bytes.size());
  return raw;
}

// Server (fd 10, accepted) and client (fd 11, connected) ends of one
// connection, both in this process (so /proc lookups succeed).
Events two_sided(uint16_t port, std::string_view request, std::string_view response,
                 size_t records) {
  const auto tgid = static_cast<uint32_t>(getpid());
  Events e;
  e.open.push_back(open_event(tgid, 10, LOUPE_ORIGIN_ACCEPT, port, 40000, "server"));
  e.open.push_back(open_event(tgid, 11, LOUPE_ORIGIN_CONNECT, 40000, port, "client"));
  e.loop.push_back(data_event(tgid, 11, LOUPE_DIR_EGRESS, request));
  e.loop.push_back(data_event(tgid, 10, LOUPE_DIR_INGRESS, request));
  e.loop.push_back(data_event(tgid, 10, LOUPE_DIR_EGRESS, response));
  e.loop.push_back(data_event(tgid, 11, LOUPE_DIR_INGRESS, response));
  e.records_per_loop = 2 * records;
  return e;
}

Events http() {
  return two_sided(
      8080, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 20:45:00 GMT\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: 0\r\nConnection: "
      "keep-alive\r\n\r\n",
      1);
}

Events redis_pipelined() {
  std::string req, rep;
  for (int i = 0; i < 16; ++i) {
    req += "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n";
    rep += "+OK\r\n";
  }
  return two_sided(6379, req, rep, 16);
}

// ns of thread CPU per record for `requests` loops of `e`.
double run(const Events& e, size_t requests, bool encoded) {
  std::vector<Record> batch;
  batch.reserve(4096 + 256);
  EncodedRecords encoded_batch;
  size_t stored = 0;
  // As Agent does: records built in the batch, handed over (here: dropped)
  // once it holds 4,096; or encoded as each segment's are built.
  ConnectionTracker tracker({}, [&](std::span<Record>) {
    if (encoded) {  // encoded by the tracker (encode_to)
      if (encoded_batch.count() >= 4096) {
        stored += encoded_batch.count();
        encoded_batch.clear();
      }
    } else if (batch.size() >= 4096) {
      stored += batch.size();
      batch.clear();
    }
  });
  tracker.append_to(encoded ? nullptr : &batch);
  if (encoded) tracker.encode_to(&encoded_batch, "node-a");
  for (const auto& raw : e.open) tracker.on_event(raw);
  double t0 = bench::thread_cpu_s();
  for (size_t i = 0; i < requests; ++i)
    for (const auto& raw : e.loop) tracker.on_event(raw);
  stored += batch.size() + encoded_batch.count();
  double t1 = bench::thread_cpu_s();
  if (stored != requests * e.records_per_loop) {
    std::fprintf(stderr, "capture_bench: %zu records, expected %zu\n", stored,
                 requests * e.records_per_loop);
    std::exit(1);
  }
  return (t1 - t0) * 1e9 / static_cast<double>(stored);
}

}  // namespace

int main(int argc, char** argv) {
  size_t requests = 200'000;
  int rounds = 5;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--requests") requests = std::stoul(argv[i + 1]);
    if (k == "--rounds") rounds = std::stoi(argv[i + 1]);
    if (k == "--only") only = argv[i + 1];
  }
  struct Workload {
    const char* name;
    Events events;
    size_t requests;
  };
  Workload workloads[] = {{"http", http(), requests},
                          {"redis_p16", redis_pipelined(), requests / 16}};
  for (const Workload& w : workloads) {
    for (bool encoded : {false, true}) {
      if (!only.empty() && only != std::string(w.name) + (encoded ? " encoded" : "")) continue;
      std::vector<double> ns;
      for (int r = 0; r < rounds; ++r) ns.push_back(run(w.events, w.requests, encoded));
      std::sort(ns.begin(), ns.end());
      std::printf("%s%s: %.0f ns per record (best), %.0f (median of %d)\n", w.name,
                  encoded ? " encoded" : "", ns.front(), ns[ns.size() / 2], rounds);
    }
  }
  return 0;
}
