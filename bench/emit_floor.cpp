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
// --burn-ns N (floors.sh modes `budget*`): the consumer also spends N ns of
// CPU on every event it drains, in the drain loop, one event at a time as
// a parser would, so that the whole user space costs exactly a CPU budget
// (issue 14's 1 µs per captured exchange) and nothing else. --sched says
// how that CPU is scheduled: nice19 (nice 19), idle (SCHED_IDLE), slice100
// (a 100 ms EEVDF slice, as Loupe's background threads: core/sched_slice.h)
// or yield (a short sleep every 500 µs of a burst, as Loupe's pump:
// core/burst_yield.h). What the same CPU costs the traced programs' p99
// then depends only on when it runs.
//
// --write FILE (bench/trace_overhead.sh's `floor` modes): after each drain
// the consumer writes --write-bytes bytes per drained event to FILE with
// one write(2), as `loupe trace -o json` writes each batch's
// lines at once: what the output file costs (the page cache, and on a VM
// the host's faults on fresh pages) with no tracker, parser or JSON.
//
//   emit_floor --port P[,P...] [--capture-bytes N] [--burn-ns N]
//              [--sched nice19|idle|slice100|yield] [--write FILE [--write-bytes N]]
// Prints "attached" once the programs are in place; on SIGINT/SIGTERM
// prints the events and bytes drained, the kernel's loss counters, the
// process's CPU (utime + stime) from "attached" to the end, the bytes
// written, and with --burn-ns the loop's calibration and the pump's yields.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "agent/socket_tracer.h"
#include "agent/tls/tls_tracer.h"
#include "core/burst_yield.h"
#include "core/sched_slice.h"
#include "cpu_burn.h"

using namespace loupe;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// The pump's cadence (src/agent/agent.h: poll_interval_ms, drain_events).
constexpr int kPollMs = 5;
constexpr size_t kDrainEvents = 8192;
// --write-bytes: a record's JSON line is ~600 bytes; 8 KiB is the most a
// syscall's payload is captured.
constexpr size_t kMaxWriteBytes = 8192;

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
  std::fprintf(stderr,
               "usage: emit_floor --port P[,P...] [--capture-bytes N] [--burn-ns N]\n"
               "                  [--sched nice19|idle|slice100|yield]\n"
               "                  [--write FILE [--write-bytes N]]\n");
  return 2;
}

// What --write writes: a kept buffer of text lines, as many bytes a drain
// as `loupe trace -o json` would write for its events. Filled once, so
// that writing it costs the kernel's copy and nothing else.
class DrainWriter {
 public:
  DrainWriter(int fd, size_t bytes_per_event)
      : fd_(fd), bytes_per_event_(bytes_per_event), text_(kDrainEvents * bytes_per_event, 'x') {
    // Lines of about a record's length, so the file reads like the trace.
    for (size_t at = bytes_per_event; at < text_.size(); at += 2 * bytes_per_event)
      text_[at] = '\n';
  }

  // One write(2) of what `events` drained events would have printed.
  bool write_drain(size_t events) {
    const size_t n = events * bytes_per_event_;
    for (size_t done = 0; done < n;) {
      ssize_t w = ::write(fd_, text_.data() + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      done += static_cast<size_t>(w);
    }
    written_ += n;
    return true;
  }

  uint64_t written() const { return written_; }

 private:
  int fd_;
  size_t bytes_per_event_;
  std::string text_;
  uint64_t written_ = 0;
};

// Set before any thread starts, so that threads the tracers start inherit it.
bool apply_sched(const std::string& how) {
  if (how == "nice19") return setpriority(PRIO_PROCESS, 0, 19) == 0;
  if (how == "idle") {
    sched_param p{};
    return sched_setscheduler(0, SCHED_IDLE, &p) == 0;
  }
  if (how == "slice100") return set_thread_slice(std::chrono::milliseconds(100));
  return how == "yield";  // installed on the draining thread below
}

uint64_t process_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000 +
           static_cast<uint64_t>(t.tv_usec) * 1000;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  SocketTracerOptions opts;
  uint64_t burn_ns = 0;
  std::string sched, write_path;
  size_t write_bytes = 304;  // 608 a traced HTTP exchange, two events each
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 == argc) return usage();
    if (std::strcmp(argv[i], "--port") == 0) {
      if (!parse_ports(argv[i + 1], opts.filter_ports)) return usage();
    } else if (std::strcmp(argv[i], "--capture-bytes") == 0) {
      opts.capture_bytes = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--burn-ns") == 0) {
      burn_ns = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--sched") == 0) {
      sched = argv[i + 1];
    } else if (std::strcmp(argv[i], "--write") == 0) {
      write_path = argv[i + 1];
    } else if (std::strcmp(argv[i], "--write-bytes") == 0) {
      write_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      return usage();
    }
  }
  if (opts.filter_ports.empty()) return usage();
  if (!sched.empty() && !apply_sched(sched)) {
    std::fprintf(stderr, "emit_floor: --sched %s: not set\n", sched.c_str());
    return 1;
  }
  // The kept buffer holds a whole drain's bytes: 64 MiB at most.
  if (write_bytes == 0 || write_bytes > kMaxWriteBytes) {
    std::fprintf(stderr, "emit_floor: --write-bytes %zu: from 1 to %zu\n", write_bytes,
                 kMaxWriteBytes);
    return 2;
  }
  int out_fd = -1;
  if (!write_path.empty()) {
    out_fd = ::open(write_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0) {
      std::fprintf(stderr, "emit_floor: --write %s: %s\n", write_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  std::optional<DrainWriter> writer;
  if (out_fd >= 0) writer.emplace(out_fd, write_bytes);
  // Calibrated before the programs are attached, on a thread of the same
  // policy as the drain loop's.
  bench::CpuBurn burner;
  BurstYield bursts;
  if (sched == "yield") install_burst_yield(&bursts);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  uint64_t events = 0, bytes = 0;
  SocketTracer tracer(opts);
  tls::TlsTracer tls({.self_pid = static_cast<uint32_t>(getpid())});
  try {
    tracer.start([&](std::span<const uint8_t> raw) {
      ++events;
      bytes += raw.size();
      if (burn_ns) burner.burn(burn_ns);
      burst_point();
    });
    tls.start(tracer.tls_programs());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emit_floor: %s\n", e.what());
    return 1;
  }
  std::printf("attached\n");
  std::fflush(stdout);
  const uint64_t cpu0 = process_cpu_ns();

  // A drain's events, written at once when --write asks.
  auto drain = [&]() -> size_t {
    const size_t n = tracer.drain(kDrainEvents);
    if (n > 0 && writer && !writer->write_drain(n)) {
      std::fprintf(stderr, "emit_floor: --write %s: %s\n", write_path.c_str(),
                   std::strerror(errno));
      g_stop = 1;
    }
    return n;
  };
  bool more = false;
  while (!g_stop) {
    if (!more) tracer.wait(kPollMs);
    more = drain() >= kDrainEvents;
  }
  while (drain() > 0) {
  }
  const uint64_t cpu = process_cpu_ns() - cpu0;
  tls.stop();
  TracerCounters c = tracer.counters();
  std::printf(
      "events %llu bytes %llu lost %llu missed_runs %llu truncated %llu cpu_ns %llu burn_ns %llu "
      "ns_per_iter %.3f yields %llu written %llu\n",
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(c[LOUPE_STAT_RB_DROPS]),
      static_cast<unsigned long long>(c.missed_runs),
      static_cast<unsigned long long>(c[LOUPE_STAT_TRUNCATED]),
      static_cast<unsigned long long>(cpu), static_cast<unsigned long long>(burn_ns),
      burner.ns_per_iter(), static_cast<unsigned long long>(bursts.yields()),
      static_cast<unsigned long long>(writer ? writer->written() : 0));
  return 0;
}
