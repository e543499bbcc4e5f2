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
// records), so the encoding is counted there. With --trace, a third way:
// the batch printed as `loupe trace -o json` prints it (cli/trace_output.h,
// to /dev/null) and emptied every 512 records (what one of its drains hands
// over at nginx's saturation, ~100k records/s drained every 5 ms).
//
// Workloads, both sides of each connection traced as on one host:
//   http   nginx `return 200` under wrk (one request and one response per
//          syscall, keep-alive), 4 events per request, 2 records;
//   redis  redis-benchmark -P 16 (16 SETs per write, 16 +OK per read).
//
//   capture_bench [--requests N] [--rounds R] [--only WORKLOAD[ encoded| trace]] [--trace 1]
// Prints "workload: ns per record" lines (best and median of the rounds).
// --only runs one line's workload alone ("http encoded": what `loupe
// agent` does with HTTP), e.g. for an instruction count under callgrind.
//
// --spread N: the http workload over N connections taken in turn (each
// request a different connection's, as at 10k live connections), so the
// connections' state is out of cache as in the agent: e.g. callgrind
// --cache-sim=yes counts its misses. With --late 1 every connection's
// request comes before any response (each end waits for N - 1 other
// requests, as wrk's ends at 10k live connections: the tracker suspends
// their parsers, ConnectionTracker::kWaitWindow).
//
//   capture_bench --connections N
// What each tracked connection end holds (issue 14: 10k live connections
// are 20,000 ends): N connections of each workload (http, redis, and
// postgres: startup then one simple query) opened, then after one
// exchange on each (idle) and after a second request the server read but
// did not answer yet (in flight: at saturation wrk's ends wait so). Heap
// bytes in use (mallinfo2, this single thread's allocations; malloc's
// chunk headers and rounding included) and the tracker's table_bytes,
// each per end. Deterministic.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/connection_tracker.h"
#include "cli/trace_output.h"
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

// Server (fd `fd`, accepted) and client (fd + 1, connected) ends of one
// connection, both in this process (so /proc lookups succeed).
Events two_sided(uint16_t port, std::string_view request, std::string_view response, size_t records,
                 int32_t fd = 10) {
  const auto tgid = static_cast<uint32_t>(getpid());
  const auto client_port = static_cast<uint16_t>(40000 + fd % 20000);
  Events e;
  e.open.push_back(open_event(tgid, fd, LOUPE_ORIGIN_ACCEPT, port, client_port, "server"));
  e.open.push_back(open_event(tgid, fd + 1, LOUPE_ORIGIN_CONNECT, client_port, port, "client"));
  e.loop.push_back(data_event(tgid, fd + 1, LOUPE_DIR_EGRESS, request));
  e.loop.push_back(data_event(tgid, fd, LOUPE_DIR_INGRESS, request));
  e.loop.push_back(data_event(tgid, fd, LOUPE_DIR_EGRESS, response));
  e.loop.push_back(data_event(tgid, fd + 1, LOUPE_DIR_INGRESS, response));
  e.records_per_loop = 2 * records;
  return e;
}

Events http(int32_t fd = 10) {
  return two_sided(
      8080, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 20:45:00 GMT\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: 0\r\nConnection: "
      "keep-alive\r\n\r\n",
      1, fd);
}

Events redis(int32_t fd) {
  return two_sided(6379, "*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n", "$3\r\nxxx\r\n", 1, fd);
}

// PostgreSQL wire messages: a type byte (none for the startup), a
// big-endian length counting itself, the body.
std::string pg_message(std::string_view type, std::string_view body) {
  const auto n = static_cast<uint32_t>(body.size() + 4);
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
  return std::string(type) + std::string(len, 4) + std::string(body);
}

// pgbench -S: the startup (trust authentication), then one simple query
// per loop.
Events postgres(int32_t fd) {
  using namespace std::string_literals;
  const std::string startup = pg_message("", "\0\3\0\0user\0bench\0database\0bench\0\0"s);
  const std::string startup_reply = pg_message("R", "\0\0\0\0"s) +
                                    pg_message("S",
                                               "server_version\0"
                                               "16.2\0"s) +
                                    pg_message("K", "\0\0\4\xd2\0\0\x16\x2e"s) +
                                    pg_message("Z", "I");
  const std::string query =
      pg_message("Q", "SELECT abalance FROM pgbench_accounts WHERE aid = 39251;\0"s);
  const std::string reply =
      pg_message("T", "\0\1abalance\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\0"s) +
      pg_message("D",
                 "\0\1\0\0\0\1"
                 "0"s) +
      pg_message("C", "SELECT 1\0"s) + pg_message("Z", "I");
  Events e = two_sided(5432, query, reply, 1, fd);
  Events s = two_sided(5432, startup, startup_reply, 0, fd);
  e.open.insert(e.open.end(), s.loop.begin(), s.loop.end());
  return e;
}

Events redis_pipelined() {
  std::string req, rep;
  for (int i = 0; i < 16; ++i) {
    req += "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n";
    rep += "+OK\r\n";
  }
  return two_sided(6379, req, rep, 16);
}

enum class Sink { Batch, Encoded, Trace };
constexpr const char* kSinkSuffix[] = {"", " encoded", " trace"};

// ns of thread CPU per record for `requests` loops of `e`.
double run(const Events& e, size_t requests, Sink sink) {
  const bool encoded = sink == Sink::Encoded;
  std::vector<Record> batch;
  batch.reserve(4096 + 256);
  EncodedRecords encoded_batch;
  size_t stored = 0;
  std::FILE* null = std::fopen("/dev/null", "w");
  cli::TraceOutput trace(null, cli::TraceOutput::Format::Json, {});
  // As Agent does: records built in the batch, handed over (here: dropped)
  // once it holds 4,096; or encoded as each segment's are built; or
  // printed every 512.
  ConnectionTracker tracker({}, [&](std::span<Record>) {
    if (sink == Sink::Trace) {
      if (batch.size() >= 512) {
        trace.print(batch);
        stored += batch.size();
        batch.clear();
      }
    } else if (encoded) {  // encoded by the tracker (encode_to)
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
  // Each event later than the one before, as the kernel's are: the
  // tracker tells an end that still waits by its latest event's time.
  std::vector<std::vector<uint8_t>> loop = e.loop;
  uint64_t ts = 2'000'000;
  double t0 = bench::thread_cpu_s();
  for (size_t i = 0; i < requests; ++i)
    for (auto& raw : loop) {
      ++ts;
      std::memcpy(raw.data() + offsetof(loupe_event_header, ts_ns), &ts, sizeof ts);
      tracker.on_event(raw);
    }
  if (sink == Sink::Trace) trace.print(batch);
  stored += batch.size() + encoded_batch.count();
  double t1 = bench::thread_cpu_s();
  std::fclose(null);
  if (stored != requests * e.records_per_loop) {
    std::fprintf(stderr, "capture_bench: %zu records, expected %zu\n", stored,
                 requests * e.records_per_loop);
    std::exit(1);
  }
  return (t1 - t0) * 1e9 / static_cast<double>(stored);
}

size_t heap_in_use() { return mallinfo2().uordblks; }

// Heap bytes and table bytes per connection end, idle after one exchange
// and with a request in flight (see the top of the file).
void connection_bytes(const char* name, Events (*workload)(int32_t fd), size_t n) {
  std::vector<Events> conns;
  conns.reserve(n);
  for (size_t i = 0; i < n; ++i) conns.push_back(workload(static_cast<int32_t>(10 + 2 * i)));
  ConnectionTracker tracker({}, [](std::span<Record>) {});
  const size_t before = heap_in_use();
  for (const Events& e : conns)
    for (const auto& raw : e.open) tracker.on_event(raw);
  for (const Events& e : conns)
    for (const auto& raw : e.loop) tracker.on_event(raw);
  const double ends = 2.0 * static_cast<double>(n);
  const double idle = static_cast<double>(heap_in_use() - before) / ends;
  const double idle_table = static_cast<double>(tracker.stats().table_bytes) / ends;
  for (const Events& e : conns)
    for (size_t k = 0; k < 2; ++k) tracker.on_event(e.loop[k]);  // the request, both ends
  const double busy = static_cast<double>(heap_in_use() - before) / ends;
  const double busy_table = static_cast<double>(tracker.stats().table_bytes) / ends;
  if (tracker.stats().records != 2 * n * (conns.front().records_per_loop / 2)) {
    std::fprintf(stderr, "capture_bench: %s: %zu records\n", name,
                 static_cast<size_t>(tracker.stats().records));
    std::exit(1);
  }
  std::printf(
      "%s: idle %.0f heap bytes per end (table_bytes %.0f), in flight %.0f (table_bytes %.0f)\n",
      name, idle, idle_table, busy, busy_table);
}

}  // namespace

int main(int argc, char** argv) {
  size_t requests = 200'000;
  int rounds = 5;
  size_t connections = 0;
  size_t spread = 1;
  bool late = false;   // --spread's responses after all its requests
  bool trace = false;  // also the `loupe trace -o json` lines
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--requests") requests = std::stoul(argv[i + 1]);
    if (k == "--rounds") rounds = std::stoi(argv[i + 1]);
    if (k == "--only") only = argv[i + 1];
    if (k == "--connections") connections = std::stoul(argv[i + 1]);
    if (k == "--spread") spread = std::stoul(argv[i + 1]);
    if (k == "--late") late = std::stoi(argv[i + 1]) != 0;
    if (k == "--trace") trace = std::stoi(argv[i + 1]) != 0;
  }
  if (connections > 0) {
    connection_bytes("http", http, connections);
    connection_bytes("redis", redis, connections);
    connection_bytes("postgres", postgres, connections);
    return 0;
  }
  struct Workload {
    const char* name;
    Events events;
    size_t requests;
  };
  Events spread_http;
  std::vector<std::vector<uint8_t>> responses;  // with --late
  for (size_t i = 0; i < spread; ++i) {
    Events e = http(static_cast<int32_t>(10 + 2 * i));
    spread_http.open.insert(spread_http.open.end(), e.open.begin(), e.open.end());
    const auto first_response = e.loop.begin() + 2;  // two_sided: the request's two events first
    spread_http.loop.insert(spread_http.loop.end(), e.loop.begin(),
                            late ? first_response : e.loop.end());
    if (late) responses.insert(responses.end(), first_response, e.loop.end());
    spread_http.records_per_loop += e.records_per_loop;
  }
  spread_http.loop.insert(spread_http.loop.end(), responses.begin(), responses.end());
  Workload workloads[] = {{"http", spread_http, requests / spread},
                          {"redis_p16", redis_pipelined(), requests / 16}};
  for (const Workload& w : workloads) {
    for (Sink sink : {Sink::Batch, Sink::Encoded, Sink::Trace}) {
      const char* suffix = kSinkSuffix[static_cast<int>(sink)];
      if (only.empty() ? sink == Sink::Trace && !trace : only != std::string(w.name) + suffix)
        continue;
      std::vector<double> ns;
      for (int r = 0; r < rounds; ++r) ns.push_back(run(w.events, w.requests, sink));
      std::sort(ns.begin(), ns.end());
      std::printf("%s%s: %.0f ns per record (best), %.0f (median of %d)\n", w.name, suffix,
                  ns.front(), ns[ns.size() / 2], rounds);
    }
  }
  return 0;
}
