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
//
// A trim walks every arena's free chunks: 1.6-3.3 ms of CPU each on the
// project's test VM, whether or not anything is given back, 0.3-0.6 ms a
// second at one every 5 s, where the paced goal of issue 14 is 20 ms a
// second for everything. So trims that give back little come less often
// (TrimSchedule), and the resident memory, read every interval (a few
// microseconds), brings them back as soon as it grows.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

namespace loupe {

struct MemoryTrimStats {
  uint64_t trims = 0;           // malloc_trim calls
  uint64_t released_bytes = 0;  // resident memory they gave back, summed
  uint64_t last_micros = 0;     // how long the last one took
};

nlohmann::json to_json(const MemoryTrimStats& s);

// When the next trim is due. Every `interval` while trims give back at
// least kWorthBytes; after one that gave back less, the wait doubles, up
// to `longest`. Resident memory that grew by kWorthBytes since the last
// trim calls for one at once and sets the wait back to `interval`: a burst
// (records queued behind a slow writer, the unwinder's tables of a large
// program) leaves its memory resident once freed, and the trims after it
// must come as often as before.
class TrimSchedule {
 public:
  static constexpr uint64_t kWorthBytes = 1 << 20;

  TrimSchedule(std::chrono::milliseconds interval, std::chrono::milliseconds longest);

  // Looked at every `interval`, with the resident anonymous memory now and
  // the time since the last trim: whether to trim now.
  bool due(uint64_t resident_bytes, std::chrono::milliseconds since_last_trim) const;
  // After a trim: resident memory before and after it.
  void trimmed(uint64_t before_bytes, uint64_t after_bytes);
  std::chrono::milliseconds wait() const { return wait_; }

 private:
  const std::chrono::milliseconds interval_, longest_;
  std::chrono::milliseconds wait_;
  uint64_t resident_after_last_ = 0;
};

class MemoryTrimmer {
 public:
  // Starts the thread; the resident memory is looked at every `interval`,
  // the first trim comes one interval after the start, and trims that give
  // back little come up to `longest` apart (TrimSchedule).
  explicit MemoryTrimmer(std::chrono::milliseconds interval = std::chrono::seconds(5),
                         std::chrono::milliseconds longest = std::chrono::seconds(80));
  ~MemoryTrimmer();  // stops and joins
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  // Trims now, on the calling thread.
  void trim();
  MemoryTrimStats stats() const;

 private:
  // Trims, and returns the resident memory before and after it.
  std::pair<uint64_t, uint64_t> trim_and_measure();

  const std::chrono::milliseconds interval_;
  TrimSchedule schedule_;  // the trimmer's thread only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  MemoryTrimStats stats_;
  std::thread thread_;
};

}  // namespace loupe
