// The agent's on-disk spool: batches the server could not take yet, kept in
// order in a directory and bounded in bytes, so a server outage or an agent
// restart loses nothing until the bound is reached.
//
// One file per batch, named by a sequence number (replay order). A file is
// written under a temporary name, synced and renamed, so a crash leaves
// either a whole batch or a temporary file (removed on open). Each file
// starts with a header (magic, record count, body length, CRC-32 of the
// body); a file that fails these checks (torn by a power loss, damaged) is
// removed and counted, never replayed and never fatal. The magic's last
// byte says what the body holds (BodyFormat), so files an older agent
// wrote are still replayed after an upgrade.
//
// Thread-safe: one thread may append (the exporter's spiller) while another
// reads and removes the front (its sender). The batch front() returned is
// held until pop_front() or release_front(): append evicts the oldest batch
// not held, so a batch on its way to the server is never counted as evicted
// as well as sent.
//
//   Spool spool("/var/lib/loupe/spool", 256 << 20);   // throws SpoolError
//   spool.append(records, body, BodyFormat::Records);
//   while (auto b = spool.front()) { if (!post(b->body)) break; spool.pop_front(); }
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loupe {

class SpoolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a spooled body holds, kept in each file's magic ("LPS1", "LPS2").
enum class BodyFormat : char {
  GzipJson = '1',  // a body posted as is: log batches, and record batches of agents
                   // before the batch codec
  Records = '2',   // core/batch_codec.h: records, encoded when sent
};

struct SpooledBatch {
  uint64_t seq = 0;
  uint32_t records = 0;
  BodyFormat format = BodyFormat::Records;
  std::string body;  // as appended
};

struct SpoolStats {
  uint64_t files = 0;              // batches on disk now
  uint64_t bytes = 0;              // their size, headers included
  uint64_t records = 0;            // records in them
  uint64_t inherited_records = 0;  // found on disk when the spool was opened
  uint64_t evicted_records = 0;    // oldest batches removed to stay within the bound
  uint64_t refused_records = 0;    // batches larger than the whole bound, or not writable
  uint64_t corrupt_files = 0;      // torn or damaged files removed
  uint64_t corrupt_records = 0;    // records in them, where the header said
};

class Spool {
 public:
  // Opens (creating) `dir` and takes an exclusive lock on it (one agent per
  // spool). Throws SpoolError with a user-facing message.
  Spool(std::string dir, uint64_t max_bytes);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Stores a batch after every batch already stored. Removes the oldest
  // batches while the total would exceed the bound. False (and counted in
  // refused_records) when the batch cannot be stored at all.
  bool append(uint32_t records, std::string_view body, BodyFormat format);

  // The oldest batch, checked, and held; damaged files met on the way are
  // removed and counted. Empty when nothing is stored.
  std::optional<SpooledBatch> front();
  // Removes the oldest batch (after it was delivered).
  void pop_front();
  // Leaves the batch front() returned in place (it will be tried again), and
  // evictable again.
  void release_front();
  // Removes the batch front() returned when the caller cannot read its body
  // (it passed the checksum, so written damaged): counted as corrupt.
  void drop_front_unreadable();

  bool empty() const;
  SpoolStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Entry {
    uint64_t seq;
    uint64_t bytes;
    uint32_t records;
  };
  std::string path_of(uint64_t seq) const;
  void scan();
  void remove(size_t index, bool corrupt);  // mu_ held

  const std::string dir_;
  const uint64_t max_bytes_;
  int lock_fd_ = -1;
  mutable std::mutex mu_;
  std::deque<Entry> index_;  // oldest first
  bool front_held_ = false;  // index_.front() is being delivered
  uint64_t next_seq_ = 1;
  SpoolStats stats_;
};

}  // namespace loupe
