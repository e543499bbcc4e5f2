// TCP health events from the kernel: loads bpf/tcp_trace.bpf.c (raw
// tracepoints sock/inet_sock_set_state, tcp/tcp_retransmit_skb,
// tcp/tcp_send_reset, tcp/tcp_receive_reset) and reads its ring buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "agent/bpf_ring_reader.h"

struct tcp_trace_bpf;

namespace loupe::metrics {

enum class TcpEventKind : uint8_t {
  Connected = 1,
  ConnectFailed,
  Closed,
  Retransmit,
  ResetSent,
  ResetReceived,
  Accepted,
};

struct TcpEvent {
  TcpEventKind kind = TcpEventKind::Connected;
  uint32_t pid = 0;        // the process that connected; 0 when unknown
  uint64_t cgroup_id = 0;  // its memory (else v2) cgroup's inode
  std::string command;
  // Outgoing: the server, "10.0.0.1:80", "[2001:db8::1]:443". Incoming (an
  // accepted connection): the client's address alone, "10.0.0.7" (its port
  // is ephemeral: one series per client, not per connection).
  std::string peer;
  uint64_t value = 0;     // Connected: connect time ns; ConnectFailed: errno
  bool incoming = false;  // the owner accepted the connection (it listens)
};

class TcpTracer {
 public:
  using Handler = std::function<void(const TcpEvent&)>;

  TcpTracer() = default;
  ~TcpTracer();
  TcpTracer(const TcpTracer&) = delete;
  TcpTracer& operator=(const TcpTracer&) = delete;

  // Loads and attaches; false with *error when the kernel refuses.
  bool start(Handler handler, std::string* error);
  bool active() const { return ring_ != nullptr; }
  // The ring buffer's fd, readable while events wait (-1 when not active).
  int ring_fd() const;
  // Hands the events waiting to the handler, without waiting; returns how
  // many.
  size_t drain();

 private:
  void on_event(std::span<const uint8_t> data);

  tcp_trace_bpf* skel_ = nullptr;
  std::unique_ptr<BpfRingReader> ring_;
  Handler handler_;
};

}  // namespace loupe::metrics
