// The ClickHouse store's local spool: writes kept on disk, in order, until
// ClickHouse holds them. Every write is spooled before it is sent (a
// write-ahead file), so what a server acknowledged survives ClickHouse
// being down and the server being killed; a write leaves the spool once
// ClickHouse stored all of it. One file per write (`<seq>.write`, written
// to `<seq>.tmp`, fsynced, renamed, the directory fsynced), read back in
// sequence order by the next server started on the same directory.
//
// Bounded in bytes: append() refuses a write that would pass the bound
// unless the spool is empty. Not thread-safe: its owner
// (spooled_writer.h) locks.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>

#include "store/clickhouse/prepared_write.h"

namespace loupe::store::clickhouse {

class Spool {
 public:
  // Creates `dir` if missing and takes over what an earlier server left
  // there: complete writes in order; unfinished (*.tmp) files are removed
  // (never acknowledged), unreadable ones renamed *.bad and counted.
  // Throws StoreError when the directory cannot be made or read.
  Spool(std::string dir, uint64_t max_bytes);

  // Durable when it returns; false (nothing kept) when the write does not
  // fit and the spool is not empty. Throws StoreError on an I/O error.
  bool append(const PreparedWrite& write);
  // The i-th waiting write (0: the oldest, sent next).
  struct Waiting {
    uint64_t seq = 0, bytes = 0, records = 0;
    uint64_t rows = 0;  // PreparedWrite::rows
    // Whether it may have reached ClickHouse in part (sent before, or found
    // on disk at start): only then is it resumed, with a question per
    // part, rather than just sent (and merged with the writes behind it).
    bool sent_before = false;
  };
  Waiting waiting(size_t i) const;
  void mark_sent(size_t i) { entries_[i].sent_before = true; }
  // A waiting write's file, read back; touches nothing else, so the owner
  // may call it unlocked. Throws StoreError when unreadable.
  PreparedWrite read(uint64_t seq) const;
  PreparedWrite front() const { return read(entries_.front().seq); }
  void pop_front();

  bool empty() const { return entries_.empty(); }
  size_t writes() const { return entries_.size(); }
  uint64_t bytes() const { return bytes_; }
  uint64_t records() const { return records_; }
  uint64_t max_bytes() const { return max_bytes_; }
  uint64_t unreadable() const { return unreadable_; }
  const std::string& dir() const { return dir_; }
  // A batch key in a spooled write: stored once ClickHouse takes the write.
  bool holds_batch(const std::string& batch_id) const { return batch_ids_.count(batch_id) > 0; }

 private:
  struct Entry : Waiting {
    std::vector<std::string> batch_ids;
  };
  std::string path_of(uint64_t seq, const char* suffix) const;
  void add(Entry entry);

  std::string dir_;
  uint64_t max_bytes_;
  std::deque<Entry> entries_;
  std::multiset<std::string> batch_ids_;
  uint64_t bytes_ = 0, records_ = 0, next_seq_ = 1, unreadable_ = 0;
};

}  // namespace loupe::store::clickhouse
