// A uprobe registered as any other tracer on the host registers one:
// perf_event_open on the kernel's "uprobe" PMU, no BPF program. While it
// lives, the kernel keeps its breakpoint (int3 on x86) written into every
// private mapping of the file that may execute, whoever made the mapping.
// For tests of code that reads programs and libraries other tracers probe.
#pragma once

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace loupe::testing {

class ForeignUprobe {
 public:
  ForeignUprobe(const std::string& path, uint64_t file_offset) {
    int type = -1;
    if (!(std::ifstream("/sys/bus/event_source/devices/uprobe/type") >> type)) return;
    perf_event_attr attr{};
    attr.type = static_cast<uint32_t>(type);
    attr.size = sizeof attr;
    attr.config1 = reinterpret_cast<uint64_t>(path.c_str());  // the file
    attr.config2 = file_offset;                               // the probed instruction
    // Every process (-1) on CPU 0: registered on the file as a whole.
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC));
  }
  ~ForeignUprobe() {
    if (fd_ >= 0) close(fd_);
  }
  ForeignUprobe(const ForeignUprobe&) = delete;
  ForeignUprobe& operator=(const ForeignUprobe&) = delete;

  // False without the privilege (root or CAP_PERFMON) or the uprobe PMU.
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace loupe::testing
