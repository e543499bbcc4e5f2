#include "core/memory_trimmer.h"

#include <malloc.h>
#include <unistd.h>

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

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval)
    : interval_(interval), thread_([this] {
        name_this_thread("loupe-trim");
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
          lock.unlock();
          trim();
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

void MemoryTrimmer::trim() {
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
}

nlohmann::json to_json(const MemoryTrimStats& s) {
  return {{"trims", s.trims}, {"released_bytes", s.released_bytes}, {"last_micros", s.last_micros}};
}

MemoryTrimStats MemoryTrimmer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace loupe
