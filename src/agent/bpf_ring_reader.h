// Reads a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) that BPF programs write, in
// place of libbpf's ring_buffer: the same protocol (kernel/bpf/ringbuf.c:
// the consumer and producer positions, an 8-byte header per record with
// its busy and discard bits, records 8-byte aligned) and the same wakeups
// (epoll on the map), but the data pages are mapped once. libbpf maps them
// twice in a row, so that a record that wraps around the end reads
// contiguously, and RSS counts both mappings: 16 MiB for an 8 MiB ring.
// Here the one record of a lap that wraps is copied into a buffer first.
// The kernel's memory is the same either way; the process's resident set
// is one ring smaller (docs/benchmarks.md, issue 14).
#pragma once

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace loupe {

// The ring's shared pages as mapped (or as a test lays them out).
struct RingLayout {
  volatile uint64_t* consumer_pos = nullptr;        // written by user space
  const volatile uint64_t* producer_pos = nullptr;  // written by the kernel
  const uint8_t* data = nullptr;                    // `size` bytes, mapped once
  uint64_t size = 0;                                // a power of two
};

// Hands the committed records from the consumer position on to
// `on_record(std::span<const uint8_t>)`, in order, at most `max` of them;
// skips discarded ones; stops at the first one still being written (busy)
// and when the ring is empty. The consumer position moves past each record
// as soon as it is handled, so the kernel can reuse its space at once (as
// libbpf does). `wrap` holds the copy of a record that wraps. Returns the
// records handed over.
template <typename OnRecord>
size_t consume_ring(const RingLayout& ring, size_t max, std::vector<uint8_t>& wrap,
                    OnRecord&& on_record) {
  const uint64_t mask = ring.size - 1;
  size_t handled = 0;
  uint64_t cons = __atomic_load_n(ring.consumer_pos, __ATOMIC_ACQUIRE);
  bool progressed = true;
  while (progressed && handled < max) {
    progressed = false;
    uint64_t prod = __atomic_load_n(ring.producer_pos, __ATOMIC_ACQUIRE);
    while (cons < prod && handled < max) {
      // The header never wraps: records are 8-byte aligned, the ring's
      // size a multiple of a page.
      const uint64_t at = cons & mask;
      const auto* header = reinterpret_cast<const uint32_t*>(ring.data + at);
      const uint32_t len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) return handled;  // not committed yet
      const uint32_t body = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
        const uint64_t start = (at + BPF_RINGBUF_HDR_SZ) & mask;
        const uint64_t to_end = ring.size - start;
        if (body <= to_end) {
          on_record(std::span<const uint8_t>(ring.data + start, body));
        } else {
          wrap.resize(body);
          std::memcpy(wrap.data(), ring.data + start, to_end);
          std::memcpy(wrap.data() + to_end, ring.data, body - to_end);
          on_record(std::span<const uint8_t>(wrap.data(), body));
        }
        ++handled;
      }
      cons += (uint64_t{body} + BPF_RINGBUF_HDR_SZ + 7) & ~uint64_t{7};
      __atomic_store_n(ring.consumer_pos, cons, __ATOMIC_RELEASE);
      progressed = true;
    }
  }
  return handled;
}

// A kernel ring buffer mapped for reading, and its epoll wakeups.
class BpfRingReader {
 public:
  BpfRingReader() = default;
  ~BpfRingReader();
  BpfRingReader(const BpfRingReader&) = delete;
  BpfRingReader& operator=(const BpfRingReader&) = delete;

  // Maps the ring buffer map `map_fd` of `size` data bytes. False (errno
  // set) when the kernel refuses.
  bool open(int map_fd, uint64_t size);
  // Blocks until the kernel wakes readers of the map or timeout_ms passes.
  void wait(int timeout_ms) const;
  template <typename OnRecord>
  size_t consume(size_t max, OnRecord&& on_record) {
    return consume_ring(layout_, max, wrap_, on_record);
  }
  // Bytes written by the kernel and not consumed yet (no syscall).
  uint64_t unread_bytes() const;

 private:
  RingLayout layout_;
  void* consumer_page_ = nullptr;
  void* producer_and_data_ = nullptr;
  size_t producer_and_data_bytes_ = 0;
  int epoll_fd_ = -1;
  std::vector<uint8_t> wrap_;
};

}  // namespace loupe
