// A BPF hash map read a batch of entries per syscall instead of two
// syscalls per entry (walk, look up), each of which also passes through
// the capture's sys_exit program. Used by the profiler for its counts
// (read and emptied) and by the unwinder for the processes asking for
// tables (read).
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace loupe::profile {

enum class BatchRead { kKeep, kDelete };

// Hands each entry to take(key, value). False when the kernel refused
// (no batch operations before 5.6): what is left is then for a walk one
// key at a time.
template <typename Key, typename Value, uint32_t kBatch, typename Take>
bool read_map_batched(int fd, BatchRead mode, Take&& take) {
  std::vector<Key> keys(kBatch);
  std::vector<Value> values(kBatch);
  uint64_t cursor = 0;  // the hash map's bucket (its kernel writes a u32)
  for (bool first = true;; first = false) {
    uint32_t count = kBatch;
    void* in = first ? nullptr : &cursor;
    int err =
        mode == BatchRead::kDelete
            ? bpf_map_lookup_and_delete_batch(fd, in, &cursor, keys.data(), values.data(), &count,
                                              nullptr)
            : bpf_map_lookup_batch(fd, in, &cursor, keys.data(), values.data(), &count, nullptr);
    for (uint32_t i = 0; i < count && i < kBatch; ++i) take(keys[i], values[i]);
    if (err != 0) return errno == ENOENT;  // ENOENT: the whole map was read
    if (count == 0) return false;
  }
}

}  // namespace loupe::profile
