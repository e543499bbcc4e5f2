// The node agent's capture side: the socket tracer feeding the connection
// tracker on one pump thread, and the records it produces handed to a sink
// (the terminal for `loupe trace`, the ingest queue for `loupe run`, the
// network exporter for `loupe agent`, which takes them encoded) in bounded
// batches: at most batch_records records and batch_bytes bytes each (past
// them by at most one segment's records), handed over as soon as one is
// full or its first record has waited hand_over_interval_ms. Drains of the
// ring buffer are bounded (drain_events), so batches keep flowing however
// long the ring buffer stays non-empty.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "agent/connection_tracker.h"
#include "agent/drain_pacer.h"
#include "agent/pump_priority.h"
#include "agent/socket_tracer.h"
#include "agent/tls/tls_tracer.h"
#include "core/batch_codec.h"
#include "core/record_batch_pool.h"

namespace loupe {

struct AgentOptions {
  SocketTracerOptions tracer;
  ConnectionTracker::Options tracker;
  // How long the pump waits between drains of the ring buffer (the kernel
  // wakes it early once a quarter of it is unread): from poll_interval_ms
  // under load up to max_poll_interval_ms when the traffic is light, sized
  // for each drain to find about ring_buffer_bytes / drain_target_share
  // unread (agent/drain_pacer.h). A wakeup costs the pump 50-75 µs of CPU
  // on this PVM guest with nothing to read (epoll_wait, two context
  // switches), and every drain starts on cold caches: with a sixty-fourth
  // of the ring (~55 drains a second at a paced 10k req/s) that was about
  // a quarter of the pump's CPU there. A thirty-second (256 KiB of the
  // default 8 MiB) halves the drains; each is then ~0.4 ms of work at
  // that rate, within the pump's burst budget (core/burst_yield.h). A
  // sixteenth made them 0.5-1 ms long, and nginx and wrk waited behind
  // them longer. A fixed 20 ms wait, whatever the rate, lost events of a
  // pipelined burst (e2e_test_run_burst); here the wait shortens at once
  // when a drain finds more (docs/benchmarks.md, issue 14).
  int poll_interval_ms = 5;
  int max_poll_interval_ms = 100;
  uint32_t drain_target_share = 32;
  bool tls = true;                  // attach the OpenSSL uprobes (plaintext of TLS connections)
  size_t drain_events = 8192;       // events per drain before batches and timers get a turn
  size_t batch_records = 4096;      // records per batch handed to the sink
  size_t batch_bytes = 4ULL << 20;  // memory_bytes (encoded: bytes) per batch handed to the sink
  // How long a record may wait in a batch that is not full. Not after every
  // drain (every 5 ms): in `loupe run` each batch stays out until the
  // ingest writer has stored it (100 ms rounds), so a hand-over per drain
  // kept ~100 vectors of 4,096 records' room in flight, more than the
  // batch pool keeps, and every new one was mapped, faulted in and
  // unmapped again (half of the agent's page faults and memmove time).
  int hand_over_interval_ms = 50;
  // The pump thread's nice value while the ring buffer fills (past an
  // eighth unread, until it has caught up: agent/pump_priority.h); 0: never
  // changed. `loupe run` sets kPumpNice; behind its pump the ingest queue
  // absorbs a burst within its budget. Not `loupe agent`: there the
  // exporter's spill thread would fall behind instead (docs/benchmarks.md).
  int pump_nice = 0;
  // Where the sink's consumer returns spent batches, so the next one is
  // filled in memory already faulted in; null: a new vector per batch.
  // Unused with an EncodedSink (its consumer hands spare buffers back).
  std::shared_ptr<RecordBatchPool> batch_pool;
};

// What `loupe run` gives its pump while the ring fills
// (AgentOptions::pump_nice): weight 9,548 against 1,024 at nice 0, i.e.
// ~9x the CPU share of a busy thread.
constexpr int kPumpNice = -10;

// The pump's scheduler slice (core/sched_slice.h): the kernel's default
// (0), shorter than the rest of Loupe's (kBackgroundSlice), so it preempts
// them: the ring buffer is the one place where waiting loses data. A 10 ms
// slice (the host's programs preempting the pump as they wake) doubled
// `loupe run`'s CPU per exchange under pipelined Redis: the pump fell
// behind and the ring passed its wakeup mark (docs/benchmarks.md, "issue
// 14, paced").
constexpr std::chrono::milliseconds kPumpSlice{0};

// Totals for summaries and /api/v1/status.
struct AgentCounters {
  uint64_t kernel_drops = 0;  // events lost: ring buffer full, or a program run the kernel skipped
  uint64_t truncated = 0;     // payloads cut to the capture size
  uint64_t events = 0;        // events user space handled
  uint64_t records = 0;
  uint64_t connections = 0;  // live
  LossCounts lost;           // connections whose bytes did not all become records
};

class Agent {
 public:
  // Gets each batch of records (never empty, bounded by the options) on
  // the pump thread, with their memory_bytes summed as they came (so a
  // sink that bounds memory need not read every record again); it must
  // not block for long (the ring buffer fills).
  using BatchSink = std::function<void(std::vector<Record>&& batch, size_t bytes)>;
  // The same for a sink that takes records encoded (`loupe agent`): each
  // segment's records are encoded as soon as they are built, while in
  // cache, then destroyed, so the parsers build every record in the same
  // few hot slots (records built into a batch vector wrote ~720 bytes of
  // cold memory each, the pump's largest cost) and a batch holds ~100
  // bytes per record. It takes the records and leaves `batch` empty (with
  // a spare buffer of its own when it has one).
  struct EncodedSink {
    std::function<void(EncodedRecords& batch)> take;
    std::string node;  // written on the records without a node of their own
  };
  // Gets the number of kernel events lost to a full ring buffer since the
  // last call, about once a second while there are losses.
  using LossSink = std::function<void(uint64_t events)>;

  Agent(AgentOptions opts, BatchSink sink, LossSink lost_events = {});
  Agent(AgentOptions opts, EncodedSink sink, LossSink lost_events = {});
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
  // One bounded drain; true when the budget ran out (more is waiting).
  bool drain();
  // The tracker appended `added` to pending_ (in place), under mu_.
  void add_records(std::span<const Record> added);
  void hand_over();  // pending_ (or encoded_) to the sink, under mu_
  bool has_pending() const { return !pending_.empty() || !encoded_.empty(); }
  void report_kernel_drops();
  // The pump's priority from the ring's fill (pump thread only).
  void check_ring_pressure();

  AgentOptions opts_;
  BatchSink sink_;
  EncodedSink encoded_sink_;  // instead of sink_ when set
  LossSink lost_events_;
  std::vector<Record> pending_;                          // the batch being filled
  EncodedRecords encoded_;                               // the same for encoded_sink_
  std::chrono::steady_clock::time_point pending_since_;  // when its first record came
  size_t pending_bytes_ = 0;
  uint64_t reported_drops_ = 0;             // kernel drops already given to lost_events_
  std::unique_ptr<PumpPriority> priority_;  // made by the pump thread
  size_t events_since_check_ = 0;
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
