#include "agent/profile/debug_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>

namespace loupe::profile {
namespace {

constexpr std::string_view kDebugDir = "/usr/lib/debug";

// Closed on every return path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Opens `path` (absolute) inside `root` as if `root` were "/": a symlink
// a container planted (to "/etc/..." or "../../..") resolves inside the
// container, never on the host (openat2's RESOLVE_IN_ROOT, Linux 5.6+;
// plain open before it).
int open_in_root(const std::string& root, const std::string& path) {
  Fd dir{open(root.empty() ? "/" : root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) return -1;
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  auto fd = static_cast<int>(syscall(SYS_openat2, dir.fd, path.c_str(), &how, sizeof how));
  if (fd < 0 && errno == ENOSYS) fd = open((root + path).c_str(), O_RDONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

std::vector<DebugFileCandidate> debug_file_candidates(std::string_view binary_path,
                                                      std::string_view build_id,
                                                      const std::optional<DebugLink>& link) {
  std::vector<DebugFileCandidate> out;
  if (build_id.size() >= 4)  // the first byte names the folder
    out.push_back({std::string(kDebugDir) + "/.build-id/" + std::string(build_id.substr(0, 2)) +
                       "/" + std::string(build_id.substr(2)) + ".debug",
                   true});
  if (link && !link->name.empty() && link->name != "." && link->name != ".." &&
      link->name.find('/') == std::string::npos) {
    size_t slash = binary_path.rfind('/');
    std::string dir(slash == std::string_view::npos ? std::string_view("/")
                                                    : binary_path.substr(0, slash + 1));
    for (const std::string& folder : {dir, dir + ".debug/", std::string(kDebugDir) + dir})
      out.push_back({folder + link->name, false});
  }
  return out;
}

std::optional<uint32_t> file_crc32(int fd) {
  std::array<unsigned char, 1 << 16> buf;
  uLong crc = crc32(0, nullptr, 0);
  for (off_t at = 0;;) {
    ssize_t n = pread(fd, buf.data(), buf.size(), at);
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    crc = crc32(crc, buf.data(), static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

std::optional<ElfSymbols> load_debug_file(const std::string& root, std::string_view binary_path,
                                          const ElfSymbols& binary, DebugFileCounters* counters) {
  for (const DebugFileCandidate& c :
       debug_file_candidates(binary_path, binary.id(), binary.debuglink())) {
    Fd f{open_in_root(root, c.path)};
    if (f.fd < 0) continue;
    bool same = c.by_build_id ? ElfSymbols::build_id(f.fd) == binary.id()
                              : file_crc32(f.fd) == binary.debuglink()->crc;
    std::string error;
    std::optional<ElfSymbols> symbols = same ? ElfSymbols::load(f.fd, &error) : std::nullopt;
    if (!symbols) {
      ++counters->mismatched;
      continue;
    }
    ++counters->loaded;
    return symbols;
  }
  return std::nullopt;
}

}  // namespace loupe::profile
