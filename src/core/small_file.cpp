#include "core/small_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace loupe {

bool read_small_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.clear();
    return false;
  }
  // Read straight into the buffer, doubling it as it fills.
  size_t used = 0;
  out.resize(std::max<size_t>(out.capacity(), 4096));
  for (;;) {
    if (used == out.size()) {
      if (out.size() >= kMaxSmallFileBytes) {
        ::close(fd);
        out.clear();
        errno = EFBIG;
        return false;
      }
      out.resize(std::min(out.size() * 2, kMaxSmallFileBytes));
    }
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      out.clear();
      errno = err;
      return false;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  return true;
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::string out;
  if (!read_small_file(path, out)) return std::nullopt;
  return out;
}

}  // namespace loupe
