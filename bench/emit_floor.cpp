// The traced path's floor (bench/floors.sh mode `emit`, issue 14): Loupe's
// own socket-trace BPF programs, loaded and attached by the product's
// SocketTracer (and its OpenSSL/Go uprobes by TlsTracer) with a --port
// filter, every event of the traced connections sent to the ring buffer,
// and a consumer that drains the ring the way the agent's pump does (wait
// at most 5 ms, at most 8,192 events per drain) but only counts and
// discards: no connection tracker, no parser, no store. The traced
// program's throughput against untraced is then the best any user-space
// work behind these BPF programs can reach on this machine.
//
//   emit_floor --port P[,P...] [--capture-bytes N]
// Prints "attached" once the programs are in place; on SIGINT/SIGTERM
// prints the events and bytes drained and the kernel's loss counters.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/socket_tracer.h"
#include "agent/tls/tls_tracer.h"

using namespace loupe;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// The pump's cadence (src/agent/agent.h: poll_interval_ms, drain_events).
constexpr int kPollMs = 5;
constexpr size_t kDrainEvents = 8192;

bool parse_ports(const char* list, std::vector<uint16_t>& out) {
  std::string s = list;
  size_t at = 0;
  while (at <= s.size()) {
    size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    int port = std::atoi(s.substr(at, comma - at).c_str());
    if (port <= 0 || port > 65535) return false;
    out.push_back(static_cast<uint16_t>(port));
    at = comma + 1;
  }
  return !out.empty();
}

int usage() {
  std::fprintf(stderr, "usage: emit_floor --port P[,P...] [--capture-bytes N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  SocketTracerOptions opts;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 == argc) return usage();
    if (std::strcmp(argv[i], "--port") == 0) {
      if (!parse_ports(argv[i + 1], opts.filter_ports)) return usage();
    } else if (std::strcmp(argv[i], "--capture-bytes") == 0) {
      opts.capture_bytes = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    } else {
      return usage();
    }
  }
  if (opts.filter_ports.empty()) return usage();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  uint64_t events = 0, bytes = 0;
  SocketTracer tracer(opts);
  tls::TlsTracer tls({.self_pid = static_cast<uint32_t>(getpid())});
  try {
    tracer.start([&](std::span<const uint8_t> raw) {
      ++events;
      bytes += raw.size();
    });
    tls.start(tracer.tls_programs());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emit_floor: %s\n", e.what());
    return 1;
  }
  std::printf("attached\n");
  std::fflush(stdout);

  bool more = false;
  while (!g_stop) {
    if (!more) tracer.wait(kPollMs);
    more = tracer.drain(kDrainEvents) >= kDrainEvents;
  }
  while (tracer.drain(kDrainEvents) > 0) {
  }
  tls.stop();
  TracerCounters c = tracer.counters();
  std::printf("events %llu bytes %llu lost %llu missed_runs %llu truncated %llu\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(c[LOUPE_STAT_RB_DROPS]),
              static_cast<unsigned long long>(c.missed_runs),
              static_cast<unsigned long long>(c[LOUPE_STAT_TRUNCATED]));
  return 0;
}
