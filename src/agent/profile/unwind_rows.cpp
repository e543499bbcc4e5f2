#include "agent/profile/unwind_rows.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>

namespace loupe::profile {

const std::vector<uint32_t>& UnwindRows::keys_from(uint32_t first, uint32_t count) {
  keys_.resize(count);
  for (uint32_t i = 0; i < count; ++i) keys_[i] = first + i;
  return keys_;
}

bool UnwindRows::write(uint32_t first, std::span<const loupe_unwind_row> rows) {
  if (first > capacity_ || rows.size() > capacity_ - first) {
    errno = ERANGE;
    return false;
  }
  for (size_t done = 0; done < rows.size();) {
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(kChunk, rows.size() - done));
    uint32_t count = n;
    const auto& keys = keys_from(first + static_cast<uint32_t>(done), n);
    if (bpf_map_update_batch(fd_, keys.data(), rows.data() + done, &count, nullptr) != 0 ||
        count != n)
      return false;
    done += n;
  }
  return true;
}

bool UnwindRows::read(uint32_t first, uint32_t count, std::vector<loupe_unwind_row>& out) {
  if (first > capacity_ || count > capacity_ - first) {
    errno = ERANGE;
    return false;
  }
  out.resize(count);
  keys_.resize(std::min(count, kChunk));
  for (uint32_t done = 0; done < count;) {
    uint32_t n = std::min(kChunk, count - done);
    uint32_t got = n;
    // The kernel starts after the key in in_batch (none: at key 0) and
    // writes the last key it read to out_batch.
    uint32_t after = first + done - 1, last = 0;
    int err = bpf_map_lookup_batch(fd_, first + done ? &after : nullptr, &last, keys_.data(),
                                   out.data() + done, &got, nullptr);
    // ENOENT: the array's end was reached, after `got` rows.
    if ((err != 0 && errno != ENOENT) || got != n) return false;
    done += n;
  }
  return true;
}

bool UnwindRows::move_down(uint32_t to, uint32_t from, uint32_t count) {
  if (to > from) {
    errno = EINVAL;
    return false;
  }
  if (to == from) return true;
  // A chunk is read whole before it is written lower: a write never
  // overwrites rows not yet read, even where source and target overlap.
  for (uint32_t done = 0; done < count;) {
    uint32_t n = std::min(kChunk, count - done);
    if (!read(from + done, n, chunk_) || !write(to + done, chunk_)) return false;
    done += n;
  }
  return true;
}

}  // namespace loupe::profile
