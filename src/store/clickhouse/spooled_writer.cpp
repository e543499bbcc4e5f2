#include "store/clickhouse/spooled_writer.h"

#include <iostream>
#include <vector>

#include "core/thread_name.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/error.h"
#include "store/store.h"

namespace loupe::store::clickhouse {
namespace {

uint64_t ns_since(std::chrono::steady_clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t)
          .count());
}

}  // namespace

SpooledWriter::SpooledWriter(ClientPool& pool, SpoolOptions options, Events events,
                             ShardWrites* shards)
    : pool_(pool),
      shards_(shards),
      events_(std::move(events)),
      spool_(options.dir, options.max_bytes) {
  counts_.unreadable_files = spool_.unreadable();
  if (!spool_.empty())
    std::cerr << "loupe: ClickHouse spool " << spool_.dir() << ": " << spool_.writes()
              << " writes (" << spool_.records()
              << " records) left by the last run; sending them\n";
  replayer_ = std::thread([this] {
    name_this_thread("loupe-ch-replay");
    replay_loop();
  });
}

SpooledWriter::~SpooledWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  replayer_.join();
}

void SpooledWriter::write(const PreparedWrite& write) {
  std::lock_guard serial(write_mu_);
  auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    bool backlog = !spool_.empty();
    if (!spool_.append(write)) {
      ++counts_.refused_writes;
      counts_.refused_records += write.records;
      // One line per hundred refusals: a long outage should not flood the log.
      if (counts_.refused_writes % 100 == 1)
        std::cerr << "loupe: ClickHouse spool full (" << spool_.bytes() << " of "
                  << spool_.max_bytes() << " bytes): refusing writes until ClickHouse takes the "
                  << spool_.writes() << " waiting; agents send them again ("
                  << counts_.refused_writes << " refused so far)\n";
      throw StoreError("ClickHouse is unreachable and the spool is full (" +
                       std::to_string(spool_.bytes()) + " bytes, --spool-max " +
                       std::to_string(spool_.max_bytes()) + ")");
    }
    if (backlog) {
      wake_.notify_all();
      return;
    }
    direct_ = true;
    spool_.mark_sent(0);
  }
  bool sent = false;
  try {
    auto client = pool_.borrow();
    send_write(*client, write, false, shards_);
    sent = true;
  } catch (const std::exception& e) {  // ClickHouse's Error, or the client's own
    if (events_.failed) events_.failed(e.what());
    std::cerr << "loupe: ClickHouse write failed (" << e.what() << "); spooled to " << spool_.dir()
              << ", replayed when ClickHouse takes it\n";
  }
  {
    std::lock_guard lock(mu_);
    direct_ = false;
    if (sent) spool_.pop_front();
  }
  if (sent) {
    if (events_.stored) events_.stored(write.records, ns_since(started));
    drained_.notify_all();
  } else {
    wake_.notify_all();
  }
}

bool SpooledWriter::holds_batch(const std::string& batch_id) {
  std::lock_guard lock(mu_);
  return spool_.holds_batch(batch_id);
}

SpoolStatus SpooledWriter::status() {
  std::lock_guard lock(mu_);
  SpoolStatus s = counts_;
  s.dir = spool_.dir();
  s.writes = spool_.writes();
  s.records = spool_.records();
  s.bytes = spool_.bytes();
  s.max_bytes = spool_.max_bytes();
  return s;
}

bool SpooledWriter::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return drained_.wait_for(lock, timeout, [&] { return spool_.empty(); });
}

std::vector<uint64_t> SpooledWriter::next_group() {
  // A merged part must stay one block (max_insert_block_size is 1,048,576
  // rows); the bytes bound keeps one send's memory and time modest.
  constexpr uint64_t kMaxGroupBytes = 64ULL << 20;
  std::vector<uint64_t> seqs;
  uint64_t rows = 0, bytes = 0;
  for (size_t i = 0; i < spool_.writes(); ++i) {
    Spool::Waiting w = spool_.waiting(i);
    if (w.sent_before) break;
    if (!seqs.empty() && (rows + w.rows > kMaxRowsPerWrite || bytes + w.bytes > kMaxGroupBytes))
      break;
    seqs.push_back(w.seq);
    rows += w.rows;
    bytes += w.bytes;
  }
  // From now on a failure leaves each of them to be resumed on its own.
  for (size_t i = 0; i < seqs.size(); ++i) spool_.mark_sent(i);
  return seqs;
}

void SpooledWriter::replay_loop() {
  constexpr auto kRetry = std::chrono::seconds(1);
  bool failing = false;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kRetry, [&] { return stopping_ || (!spool_.empty() && !direct_); });
    if (stopping_) return;
    if (spool_.empty() || direct_) continue;
    lock.unlock();
    std::string error;
    if (failing) {
      // Asked first, so that an outage does not mark the writes behind
      // as sent (each would then be resumed alone, question by question).
      try {
        pool_.borrow()->server_version();
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    std::vector<uint64_t> seqs;
    bool resume = false;
    uint64_t records = 0;
    auto started = std::chrono::steady_clock::now();
    if (error.empty()) {
      // The writes sent stay in the spool (and write() appends behind them)
      // while they are sent: only this thread removes them.
      lock.lock();
      seqs = next_group();
      resume = seqs.empty();
      if (resume) seqs.push_back(spool_.waiting(0).seq);
      lock.unlock();
      try {
        std::vector<PreparedWrite> writes;
        for (uint64_t seq : seqs) writes.push_back(spool_.read(seq));
        PreparedWrite write = merge_writes(std::move(writes));
        records = write.records;
        auto client = pool_.borrow();
        send_write(*client, write, resume, shards_, true);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (!error.empty()) {
      if (events_.failed) events_.failed(error);
      if (!failing)
        std::cerr << "loupe: ClickHouse spool: replay waits for ClickHouse (" << error << ")\n";
      failing = true;
      lock.lock();
      // Retry after kRetry, not at once: wait_for's predicate is true.
      wake_.wait_for(lock, kRetry, [&] { return stopping_; });
      if (stopping_) return;
      continue;
    }
    failing = false;
    if (events_.stored) events_.stored(records, ns_since(started));
    lock.lock();
    for (size_t i = 0; i < seqs.size(); ++i) spool_.pop_front();
    counts_.replayed_writes += seqs.size();
    ++counts_.replay_sends;
    if (spool_.empty()) {
      std::cerr << "loupe: ClickHouse spool replayed (" << counts_.replayed_writes << " writes in "
                << counts_.replay_sends << " sends so far); writing directly again\n";
      drained_.notify_all();
    }
  }
}

}  // namespace loupe::store::clickhouse
