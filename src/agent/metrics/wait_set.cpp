#include "agent/metrics/wait_set.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace loupe::metrics {

WaitSet::WaitSet()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (epoll_fd_ >= 0 && stop_fd_ >= 0 && add(stop_fd_)) return;
  int err = errno;
  close_all();
  throw std::system_error(err, std::generic_category(), "the metrics thread's wait set");
}

WaitSet::~WaitSet() { close_all(); }

void WaitSet::close_all() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  epoll_fd_ = stop_fd_ = -1;
}

bool WaitSet::add(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void WaitSet::wait(int timeout_ms) {
  epoll_event ev[4];
  epoll_wait(epoll_fd_, ev, 4, timeout_ms);
}

void WaitSet::stop() {
  uint64_t one = 1;
  // Stays readable (never read): every later wait() returns at once.
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
}

}  // namespace loupe::metrics
