// Gives the heap memory threads have freed back to the system, every few
// seconds.
//
// Why: glibc keeps what a thread frees in that thread's malloc arena for
// the next allocation, and returns an arena's memory only from its top. A
// burst (the profiler's unwinder building the table of a large binary, the
// symbolizer reading a symbol table, records queued while the store writer
// was behind) leaves its memory resident long after it was freed: measured
// on `loupe agent` and `loupe run` with 10k live connections, 20 of their
// ~67 MiB of heap were free chunks that malloc_trim(0) handed back
// (docs/benchmarks.md, "Resident memory: ..."). A periodic trim is one
// place for what would otherwise be a call after every such burst.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace loupe {

struct MemoryTrimStats {
  uint64_t trims = 0;           // malloc_trim calls
  uint64_t released_bytes = 0;  // resident memory they gave back, summed
  uint64_t last_micros = 0;     // how long the last one took
};

nlohmann::json to_json(const MemoryTrimStats& s);

class MemoryTrimmer {
 public:
  // Starts the thread; the first trim comes one interval after.
  explicit MemoryTrimmer(std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~MemoryTrimmer();  // stops and joins
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  // Trims now, on the calling thread.
  void trim();
  MemoryTrimStats stats() const;

 private:
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  MemoryTrimStats stats_;
  std::thread thread_;
};

}  // namespace loupe
