#include "agent/profile/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace loupe::profile {

bool read_proc_file(const std::string& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // /proc files have no size to ask for: read until the end, growing the
  // buffer as it fills (a large process's maps run to ~100 KiB).
  size_t used = 0;
  out.resize(std::max<size_t>(out.capacity(), 4096));
  for (;;) {
    if (used == out.size()) out.resize(out.size() * 2);
    ssize_t n = read(fd, out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      out.clear();
      return false;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(used);
  return true;
}

}  // namespace loupe::profile
