// Loads and attaches the socket-trace BPF programs and drains their ring
// buffer. Knows nothing about protocols: it hands raw events to a callback.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/bpf_ring_reader.h"
#include "agent/tls/tls_tracer.h"
#include "socket_trace.h"

struct socket_trace_bpf;

namespace loupe {

// A failure the user can act on; what() says what to do.
class AgentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SocketTracerOptions {
  uint32_t filter_tgid = 0;                      // 0 = all processes
  std::vector<uint16_t> filter_ports;            // empty = all; else local or remote port
  uint32_t capture_bytes = 4096;                 // payload prefix per syscall
  uint32_t ring_buffer_bytes = 8 * 1024 * 1024;  // power of two, >= page size
  bool trace_dns = true;
};

struct TracerCounters {
  std::array<uint64_t, LOUPE_STAT_MAX> v{};
  // Program runs the kernel skipped (bpf_prog_info.recursion_misses: the
  // program was already running on that CPU): each may be a lost event.
  uint64_t missed_runs = 0;
  uint64_t operator[](loupe_stat s) const { return v[s]; }
};

struct ProbeInfo {
  std::string name;  // e.g. "tp_btf/sys_exit"
  bool attached = false;
  uint64_t run_cnt = 0;  // from kernel bpf stats, when enabled
  uint64_t run_time_ns = 0;
};

class SocketTracer {
 public:
  using EventHandler = std::function<void(std::span<const uint8_t>)>;

  explicit SocketTracer(SocketTracerOptions opts);
  ~SocketTracer();
  SocketTracer(const SocketTracer&) = delete;
  SocketTracer& operator=(const SocketTracer&) = delete;

  // Loads, verifies and attaches. Throws AgentError with a message that
  // says what is missing (root, BTF, memory) and what to do.
  void start(EventHandler handler);

  // Blocks until the kernel forces a wakeup (a quarter of the ring buffer
  // unread) or timeout_ms passes. Handles no events.
  void wait(int timeout_ms);
  // Handles the events in the ring buffer now, at most `max_events` (so a
  // ring that never runs dry under sustained load still lets the caller
  // hand over records and run timers). Returns how many it handled.
  size_t drain(size_t max_events);
  // Bytes the kernel has written to the ring buffer and user space has not
  // consumed yet (read from the ring's mapped positions: no syscall).
  uint64_t unread_bytes() const;

  // Forgets the kernel's entries for connections the agent dropped
  // (process exit), so the LRU map keeps room for live ones.
  void forget_connection(uint32_t tgid, int32_t fd);

  // The OpenSSL uprobe programs (loaded, not attached) for tls::TlsTracer.
  tls::TlsPrograms tls_programs();

  TracerCounters counters() const;
  std::vector<ProbeInfo> probes() const;

 private:
  SocketTracerOptions opts_;
  EventHandler handler_;
  socket_trace_bpf* skel_ = nullptr;
  BpfRingReader ring_;
};

}  // namespace loupe
