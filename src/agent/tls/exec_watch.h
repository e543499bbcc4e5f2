// Processes that ran exec since the last look, from the socket tracer's
// sched_process_exec program (bpf/exec_trace.bpf.h).
//
// Why: TLS discovery must find a new program's OpenSSL (or Go crypto/tls)
// within a second. Walking /proc for it every second (a stat of every
// process's executable) cost an idle `loupe agent` ~1 ms of CPU and ~150
// system calls a second on a host of ~150 processes, 5% of the paced
// budget of issue 14, whether or not anything started. A fork needs no
// look (the child maps what its parent did); an exec is the one way a new
// program image appears, and the kernel names each one here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "agent/bpf_ring_reader.h"

struct bpf_program;
struct bpf_map;
struct bpf_link;

namespace loupe::tls {

// The program and what it writes, owned by the socket tracer's skeleton.
struct ExecPrograms {
  bpf_program* process_exec = nullptr;
  bpf_map* exec_events = nullptr;              // ring of tgids (u32)
  std::function<uint64_t()> exec_events_lost;  // execs the ring had no room for
};

class ExecWatch {
 public:
  ExecWatch() = default;
  ~ExecWatch() { stop(); }
  ExecWatch(const ExecWatch&) = delete;
  ExecWatch& operator=(const ExecWatch&) = delete;

  // Attaches the program and maps its ring; false (errno set) when the
  // kernel refuses or `p` is empty: the caller walks /proc instead.
  bool start(const ExecPrograms& p);
  void stop();
  bool active() const { return ring_ != nullptr; }

  struct Execs {
    std::vector<uint32_t> pids;  // sorted, each once
    bool lost = false;           // some were not recorded: look at every process
  };
  // The processes that ran exec since the last call.
  Execs take();

 private:
  ExecPrograms progs_;
  bpf_link* link_ = nullptr;
  std::unique_ptr<BpfRingReader> ring_;
  uint64_t lost_seen_ = 0;
};

}  // namespace loupe::tls
