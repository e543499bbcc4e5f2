// The agent's log path: a thread that follows the files (log_tailer.h),
// gathers their entries into batches and hands each batch to `deliver`
// (the server's ingest for `loupe agent`, the store for `loupe run`).
//
// Delivery is at least once and the receiver keeps an entry once: a batch
// is retried until it is acknowledged, checkpoints move only past
// acknowledged entries, and the receiver drops an entry whose (node,
// source, offset) it already has. While the receiver refuses batches
// nothing more is read: entries wait in their files, not in memory (rotated
// files stay open, so the kubelet deleting them loses nothing up to
// max_open_files). `loupe agent` delivers through an on-disk spool
// (log_shipper.h), which takes batches while the server is away.
// Memory is one batch plus each file's line buffer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/logs/log_tailer.h"
#include "logs/log_entry.h"

namespace loupe::logs {

struct CollectorOptions {
  TailerOptions tailer;
  std::string checkpoint_path;  // empty: none (every start reads the files whole)
  std::string node;
  size_t batch_entries = 5'000;
  uint64_t batch_bytes = 2ull << 20;  // bytes read into one batch
  std::chrono::milliseconds flush_interval{250};
  std::chrono::milliseconds scan_interval{250};
  // Once nothing has been read for quiet_after, rounds are quiet_interval
  // apart until something is read again: a node whose logs are quiet, or
  // that has none, is looked at once a second rather than four times (each
  // wakeup ~45 µs of CPU on this project's paravirtualized test VM:
  // docs/benchmarks.md, "issue 14, agentfixed"). quiet_after is longer
  // than a multiline entry waits for more lines (logs::Decoder::kIdleNs),
  // so the last entry a writer left completes at the usual pace.
  std::chrono::milliseconds quiet_after{2000};
  std::chrono::milliseconds quiet_interval{1000};
  // Called on the collector's thread when nothing waits to be delivered
  // (the agent replays its log spool, log_shipper.h); may be empty.
  std::function<void()> idle;
};

// Stores or sends a batch; true once the entries are durable there.
using Deliver = std::function<bool(std::vector<Entry>& batch, std::string& error)>;

class LogCollector {
 public:
  // Loads the checkpoints (throws std::runtime_error when the file is
  // damaged) and starts the thread.
  LogCollector(CollectorOptions opts, Deliver deliver);
  ~LogCollector();  // stop()
  // Delivers what was read within a short budget and stops.
  void stop();
  nlohmann::json status() const;

 private:
  void run();
  bool deliver_batch();  // the thread's; mu_ not held
  void persist_checkpoints();

  CollectorOptions opts_;
  Deliver deliver_;
  LogTailer tailer_;
  CheckpointFile saved_;
  std::vector<Entry> batch_;
  uint64_t batch_read_bytes_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  nlohmann::json tailer_status_;  // a copy, for status() from other threads
  uint64_t waiting_ = 0, sent_ = 0, batches_ = 0, failures_ = 0, checkpoint_errors_ = 0;
  uint64_t bytes_last_ = 0, bytes_per_s_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace loupe::logs
