// The node agent's capture side: the socket tracer feeding the connection
// tracker on one pump thread, and the records it produces handed to a sink
// (the terminal for `loupe trace`, the ingest queue for `loupe run`, the
// network exporter for `loupe agent`).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "agent/connection_tracker.h"
#include "agent/socket_tracer.h"
#include "agent/tls/tls_tracer.h"

namespace loupe {

struct AgentOptions {
  SocketTracerOptions tracer;
  ConnectionTracker::Options tracker;
  int poll_interval_ms = 5;  // how often the ring buffer is drained without a wakeup
  bool tls = true;           // attach the OpenSSL uprobes (plaintext of TLS connections)
};

// Totals for summaries and /api/v1/status.
struct AgentCounters {
  uint64_t kernel_drops = 0;  // events lost to a full ring buffer
  uint64_t truncated = 0;     // payloads cut to the capture size
  uint64_t events = 0;        // events user space handled
  uint64_t records = 0;
  uint64_t connections = 0;  // live
  LossCounts lost;           // connections whose bytes did not all become records
};

class Agent {
 public:
  using RecordSink = ConnectionTracker::RecordSink;

  // `sink` gets records as parsers complete them; `drained`, if set, runs
  // after every drain of the ring buffer (e.g. to flush buffered output).
  Agent(AgentOptions opts, RecordSink sink, std::function<void()> drained = {});
  ~Agent();

  // Loads the BPF programs and starts the pump thread. Throws AgentError.
  void start();
  // Drains what is left in the ring buffer, flushes parsers and stops.
  void stop();

  AgentCounters counters() const;
  LossStats losses() const;       // the same by port and by process
  nlohmann::json status() const;  // for /api/v1/status

 private:
  void pump();

  void drain();

  AgentOptions opts_;
  std::function<void()> drained_;
  SocketTracer tracer_;
  ConnectionTracker tracker_;
  tls::TlsTracer tls_;  // after tracer_: detaches before the programs go away
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mu_;  // guards tracker_ stats reads vs the pump
  uint64_t started_ns_ = 0;
};

// Kernel facts the agent checks at start (shown in status and errors).
nlohmann::json kernel_features();

}  // namespace loupe
