// Sends ClickHouseStore's writes through the spool (spool.h): each write is
// spooled (fsynced) first, then sent at once when nothing is waiting before
// it, and removed when ClickHouse has all of it. When ClickHouse is down or
// refuses an insert, write() still returns (the write is durable in the
// spool, so the server acknowledges it) and a replay thread sends the
// spooled writes in order, those never sent merged several at a time and a
// write that was sent before resumed where it stopped (prepared_write.h),
// retrying every second until ClickHouse takes them;
// later writes queue behind them in the spool. Past the spool's byte bound
// a write is refused (StoreError: the agent keeps its batch and sends it
// again), counted and logged.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "store/clickhouse/client_pool.h"
#include "store/clickhouse/spool.h"

namespace loupe::store::clickhouse {

// --spool-max's default (1G).
inline constexpr uint64_t kDefaultSpoolMaxBytes = uint64_t{1} << 30;

struct SpoolOptions {
  std::string dir;  // empty: no spool, a failed write throws
  uint64_t max_bytes = kDefaultSpoolMaxBytes;
};

struct SpoolStatus {
  std::string dir;
  uint64_t writes = 0, records = 0, bytes = 0, max_bytes = 0;  // waiting now
  uint64_t refused_writes = 0, refused_records = 0;            // past max_bytes: not acknowledged
  uint64_t replayed_writes = 0;   // sent by the replay thread after a failure
  uint64_t replay_sends = 0;      // the sends they took (merged several at a time)
  uint64_t unreadable_files = 0;  // found at start and set aside (*.bad)
};

class SpooledWriter {
 public:
  // What happened to a write: stored (its records, the time from its
  // first send to its last insert), or a failed attempt (the error).
  struct Events {
    std::function<void(uint64_t records, uint64_t ns)> stored;
    std::function<void(const std::string& error)> failed;
  };
  // Opens the spool (throws StoreError) and starts the replay thread,
  // which first sends what an earlier server left in the spool. `shards`
  // (cluster mode, may be null) is where the inserts go (send_write).
  SpooledWriter(ClientPool& pool, SpoolOptions options, Events events,
                ShardWrites* shards = nullptr);
  ~SpooledWriter();  // stops the replay thread; the spool stays on disk
  SpooledWriter(const SpooledWriter&) = delete;
  SpooledWriter& operator=(const SpooledWriter&) = delete;

  // Durable in the spool when it returns (and in ClickHouse too when it
  // was reachable and nothing waited before it). Throws StoreError when
  // the spool is full or cannot be written.
  void write(const PreparedWrite& write);
  // A batch key waiting in the spool.
  bool holds_batch(const std::string& batch_id);
  SpoolStatus status();
  // Blocks until the spool is empty or `timeout` passes; true when empty.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void replay_loop();
  // The oldest waiting writes none of which was sent before, to be sent as
  // one (merge_writes), marked sent; empty when the oldest was sent before
  // (a failed send, or found at start): then it is resumed alone.
  std::vector<uint64_t> next_group();

  ClientPool& pool_;
  ShardWrites* shards_;
  Events events_;
  std::mutex write_mu_;  // one write() at a time, so writes keep their order
  std::mutex mu_;        // the spool and the fields below
  std::condition_variable wake_, drained_;
  Spool spool_;
  bool direct_ = false;  // write() is sending the spool's only write itself
  bool stopping_ = false;
  SpoolStatus counts_;
  std::thread replayer_;
};

}  // namespace loupe::store::clickhouse
