#include "cli/signals.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>

namespace loupe::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
// Readable once a stop signal came, for wait_for_stop() to sleep on: a
// 50 ms sleep loop woke the main thread 20 times a second for nothing
// (docs/benchmarks.md, "issue 14, paced"). Whichever thread the signal
// lands on, the write wakes the waiter.
const int g_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

void on_signal(int) {
  g_stop = 1;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(g_stop_fd, &one, sizeof one);  // async-signal-safe
}

}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

void wait_for_stop(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!stop_requested()) {
    int timeout = -1;
    if (limit.count() > 0) {
      auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      timeout = static_cast<int>(left.count());
    }
    pollfd p{g_stop_fd, POLLIN, 0};
    poll(&p, 1, timeout);  // EINTR (the signal itself): the loop checks again
  }
}

}  // namespace loupe::cli
