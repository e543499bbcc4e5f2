#include "core/memory_trimmer.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/thread_name.h"

namespace loupe {

namespace {

// Resident anonymous memory of this process in bytes (resident minus
// file-backed, from /proc/self/statm), 0 when unreadable.
uint64_t resident_anon_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0, shared = 0;
  int n = std::fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
  std::fclose(f);
  if (n != 3 || shared > resident) return 0;
  return static_cast<uint64_t>(resident - shared) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TrimSchedule::TrimSchedule(std::chrono::milliseconds interval, std::chrono::milliseconds longest)
    : interval_(interval), longest_(std::max(interval, longest)), wait_(interval) {}

bool TrimSchedule::due(uint64_t resident_bytes, std::chrono::milliseconds since_last_trim) const {
  return since_last_trim >= wait_ || resident_bytes >= resident_after_last_ + kWorthBytes;
}

void TrimSchedule::trimmed(uint64_t before_bytes, uint64_t after_bytes) {
  bool grown = before_bytes >= resident_after_last_ + kWorthBytes;
  bool gave_back = before_bytes >= after_bytes + kWorthBytes;
  wait_ = grown || gave_back ? interval_ : std::min(2 * wait_, longest_);
  resident_after_last_ = after_bytes;
}

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval, std::chrono::milliseconds longest)
    : interval_(interval), schedule_(interval, longest), thread_([this] {
        name_this_thread("loupe-trim");
        auto last_trim = std::chrono::steady_clock::now();
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
          lock.unlock();
          auto now = std::chrono::steady_clock::now();
          auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_trim);
          if (schedule_.due(resident_anon_bytes(), since)) {
            auto [before, after] = trim_and_measure();
            schedule_.trimmed(before, after);
            last_trim = now;
          }
          lock.lock();
        }
      }) {}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MemoryTrimmer::trim() { trim_and_measure(); }

std::pair<uint64_t, uint64_t> MemoryTrimmer::trim_and_measure() {
  uint64_t before = resident_anon_bytes();
  auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  auto took = std::chrono::steady_clock::now() - start;
  uint64_t after = resident_anon_bytes();
  std::lock_guard lock(mu_);
  ++stats_.trims;
  if (before > after) stats_.released_bytes += before - after;
  stats_.last_micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  return {before, after};
}

nlohmann::json to_json(const MemoryTrimStats& s) {
  return {{"trims", s.trims}, {"released_bytes", s.released_bytes}, {"last_micros", s.last_micros}};
}

MemoryTrimStats MemoryTrimmer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe
