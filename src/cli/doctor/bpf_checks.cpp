// Can this process load a raw tracepoint program and create a ring buffer,
// the two kernel features capture stands on? Tried with the smallest
// program there is, not the agent's, so a failure names the feature.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/doctor/check.h"

namespace loupe::cli::doctor {

CheckResult check_bpf_programs() {
  const std::string name = "raw tracepoints and ring buffers";
  const std::string fix =
      "run as root or with CAP_BPF and CAP_PERFMON; a kernel lockdown or "
      "kernel.unprivileged_bpf_disabled does not matter then; seccomp profiles must allow bpf()";
  int ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "loupe_doctor", 0, 0, 4096, nullptr);
  if (ring < 0)
    return {name, Status::Fail, std::string("creating a ring buffer: ") + std::strerror(errno),
            fix};
  close(ring);
  // r0 = 0; exit
  const bpf_insn program[] = {{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
                              {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  int prog =
      bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "loupe_doctor", "GPL", program, 2, nullptr);
  if (prog < 0)
    return {name, Status::Fail,
            std::string("loading a raw tracepoint program: ") + std::strerror(errno), fix};
  int link = bpf_raw_tracepoint_open("sys_enter", prog);
  int err = errno;
  close(prog);
  if (link < 0)
    return {name, Status::Fail,
            std::string("attaching to raw tracepoint sys_enter: ") + std::strerror(err), fix};
  close(link);
  return {name, Status::Pass, "loaded and attached to sys_enter", ""};
}

}  // namespace loupe::cli::doctor
