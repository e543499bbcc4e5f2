#include "agent/bpf_ring_reader.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace loupe {

BpfRingReader::~BpfRingReader() {
  if (consumer_page_) munmap(consumer_page_, static_cast<size_t>(getpagesize()));
  if (producer_and_data_) munmap(producer_and_data_, producer_and_data_bytes_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool BpfRingReader::open(int map_fd, uint64_t size) {
  const size_t page = static_cast<size_t>(getpagesize());
  // The kernel's layout (what libbpf maps too): the consumer position alone
  // in the first page, the only one user space may write; the producer
  // position in the second, the data from the third. libbpf maps
  // page + 2 x size from the second page; the kernel allows any shorter
  // read-only mapping of it.
  void* cons = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (cons == MAP_FAILED) return false;
  consumer_page_ = cons;
  producer_and_data_bytes_ = page + size;
  void* prod = mmap(nullptr, producer_and_data_bytes_, PROT_READ, MAP_SHARED, map_fd,
                    static_cast<off_t>(page));
  if (prod == MAP_FAILED) return false;
  producer_and_data_ = prod;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, map_fd, &ev) != 0) return false;
  layout_.consumer_pos = static_cast<volatile uint64_t*>(cons);
  layout_.producer_pos = static_cast<const volatile uint64_t*>(prod);
  layout_.data = static_cast<const uint8_t*>(prod) + page;
  layout_.size = size;
  return true;
}

void BpfRingReader::wait(int timeout_ms) const {
  epoll_event ev{};
  epoll_wait(epoll_fd_, &ev, 1, timeout_ms);
}

uint64_t BpfRingReader::unread_bytes() const {
  if (!layout_.consumer_pos) return 0;
  uint64_t cons = __atomic_load_n(layout_.consumer_pos, __ATOMIC_ACQUIRE);
  uint64_t prod = __atomic_load_n(layout_.producer_pos, __ATOMIC_ACQUIRE);
  return prod > cons ? prod - cons : 0;
}

}  // namespace loupe
