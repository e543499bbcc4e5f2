// How `loupe agent` delivers log batches (log_collector.h's Deliver): posted
// to the server, or, while the server cannot take them, kept in an on-disk
// spool (agent/spool.h) like records are: bounded in bytes, replayed oldest
// first before anything newer, also after an agent restart.
//
// A spooled batch is durable, so the collector's checkpoints move past it:
// the files may then rotate away and be deleted without loss. When the
// spool is full its oldest batches are removed and counted (`spool_full`);
// the receiver keeps an entry once per (node, source, offset), so a batch
// replayed after a crash that followed its post is not stored twice.
// Without a spool (max_bytes 0) a batch the server refuses is not taken and
// its entries wait in their files.
//
// Not thread-safe but for status(): the collector's thread calls the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/spool.h"
#include "logs/log_entry.h"

namespace loupe::logs {

// POSTs a gzip-compressed JSON body ({"entries": [...]}) to the server's
// log ingest; true on 2xx, else `error` says why.
using PostBody = std::function<bool(const std::string& gzip_body, std::string& error)>;

struct LogShipperOptions {
  std::string spool_dir;  // empty: no spool
  uint64_t spool_max_bytes = 64ull << 20;
  // After a failed post the spool is not replayed again before this long.
  std::chrono::milliseconds retry_after{1000};
};

class LogShipper {
 public:
  // Opens the spool (throws SpoolError with a user-facing message).
  LogShipper(LogShipperOptions opts, PostBody post);

  // The collector's Deliver: true once the batch is posted or spooled.
  bool deliver(std::vector<Entry>& batch, std::string& error);
  // Replays the spool, oldest first, until it is empty or a post fails
  // (then not again before retry_after). The collector calls it when idle.
  void replay();

  // Adds its counters to the collector's status: entries_replayed,
  // spooled_entries, spool_bytes, and under `dropped`: spool_full (entries
  // of batches removed to stay within the bound) and spool_corrupt.
  void add_status(nlohmann::json& collector_status) const;

 private:
  bool replay_now(std::string& error);  // true: the spool is empty

  LogShipperOptions opts_;
  PostBody post_;
  std::unique_ptr<Spool> spool_;
  std::chrono::steady_clock::time_point retry_at_{};
  mutable std::mutex mu_;  // guards replayed_ and last_error_ for add_status()
  uint64_t replayed_ = 0;
  std::string last_error_;
};

}  // namespace loupe::logs
