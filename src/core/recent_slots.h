// A few recent entries of a hot loop (the label sets or rollup keys of the
// last rows), found again by a hash of what varies between them: each hash
// has two candidate slots, and a new entry replaces the one of the two
// used longer ago.
//
// Why: the ingest writer's row loops compared each row with the last row
// only, and rows of connections taking turns on a service's few routes
// missed every time, each miss a string key built and hashed. One slot per
// hash thrashed when two of a handful of label sets shared it (16 slots,
// 8 sets: most of the time); two choices per hash keep them apart
// (docs/benchmarks.md, "issue 14, runcpu4").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace loupe {

template <class Entry, size_t N>
class RecentSlots {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "a power of two");

 public:
  // The entry of `hash` that `same(entry)` accepts, or nullptr. `hash`
  // must be mixed (core/same_text.h mix_word): both halves are used.
  template <class Same>
  Entry* find(uint64_t hash, Same same) {
    size_t a = first(hash), b = second(hash);
    if (same(slots_[a])) return use(a);
    if (same(slots_[b])) return use(b);
    return nullptr;
  }
  // Where a new entry of `hash` goes (what was there is dropped).
  Entry& replace(uint64_t hash) {
    size_t a = first(hash), b = second(hash);
    return *use(used_[a] <= used_[b] ? a : b);
  }

 private:
  static size_t first(uint64_t hash) { return hash & (N - 1); }
  static size_t second(uint64_t hash) { return (hash >> 32) & (N - 1); }
  Entry* use(size_t i) {
    used_[i] = ++clock_;
    return &slots_[i];
  }
  std::array<Entry, N> slots_{};
  std::array<uint64_t, N> used_{};  // clock_ when last found or replaced
  uint64_t clock_ = 0;
};

}  // namespace loupe
