// Ships records from a node agent to the Loupe server: batches of JSON,
// gzip-compressed, POSTed to /api/v1/ingest with the shared bearer token.
//
// Nothing is lost while the server is briefly away: records wait in a
// bounded buffer and are re-sent until the server accepts them; only when
// the buffer is full are the oldest records dropped, and counted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/record.h"

namespace loupe {

struct ExporterOptions {
  std::string server_url;  // e.g. http://loupe-server:8080
  std::string token;       // empty: no Authorization header
  size_t buffer_records = 200'000;
  size_t batch_records = 5'000;
  int flush_interval_ms = 500;
};

struct ExporterStats {
  uint64_t sent = 0;      // records the server accepted
  uint64_t dropped = 0;   // records dropped because the buffer was full
  uint64_t failures = 0;  // failed POSTs (each retried)
  uint64_t buffered = 0;  // records waiting now
  std::string last_error;
};

class Exporter {
 public:
  explicit Exporter(ExporterOptions opts);
  ~Exporter();  // tries to send what is buffered (bounded time), then stops

  void push(std::vector<Record>& records);  // moves the records out
  ExporterStats stats() const;

 private:
  void run();
  bool send(const std::vector<Record>& batch, std::string& error);

  ExporterOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Record> buffer_;
  bool stopping_ = false;
  ExporterStats stats_;
  std::thread thread_;
};

}  // namespace loupe
