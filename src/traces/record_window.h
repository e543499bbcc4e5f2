// The records of the last few seconds, in memory, answering the lookups
// the trace assembler makes to go up a trace (assembler.h): one thread's
// server records, one side of a connection. The OTLP exporter links the
// spans it sends through it (export/otlp/span_linker.h), by the same rules
// /api/v1/traces applies to the store, without a query per span.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace loupe::traces {

class RecordWindow {
 public:
  // `max_bytes`: beyond it the oldest records leave early (their links
  // are lost, nothing else).
  explicit RecordWindow(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Records come in arrival order; `arrival` is any clock that only goes on.
  void add(store::StoredRequest r, uint64_t arrival);
  // Forgets what arrived before `arrival`.
  void evict_before(uint64_t arrival);

  // The records matching `q`, newest first, at most q.limit. Answers the
  // lookups of one thread (q.pid and q.tid) and of one connection side
  // (q.local_addr and q.remote_addr); any other query finds nothing.
  std::vector<store::StoredRequest> find(const store::RequestQuery& q) const;

  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    store::StoredRequest request;
    uint64_t arrival = 0;
    size_t bytes = 0;
  };
  using Bucket = std::deque<const Entry*>;  // arrival order, as entries_

  static uint64_t thread_key(uint32_t pid, uint32_t tid) { return uint64_t{pid} << 32 | tid; }
  static std::string connection_key(const std::string& local, const std::string& remote) {
    return local + '|' + remote;
  }
  void pop_oldest();

  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Entry> entries_;  // references stay valid as both ends move
  std::unordered_map<uint64_t, Bucket> by_thread_;
  std::unordered_map<std::string, Bucket> by_connection_;
};

}  // namespace loupe::traces
