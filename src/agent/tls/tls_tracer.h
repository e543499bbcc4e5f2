// Attaches the OpenSSL uprobes (bpf/ssl_trace.bpf.h) to every libssl and
// every statically linked OpenSSL on the host, and the Go crypto/tls
// uprobes (bpf/go_tls.bpf.h) to every Go program that has them
// (go_programs.cpp), and keeps doing so as processes start and load
// libraries: every `rescan_interval` a background thread reads the
// processes that ran exec since (exec_watch.h; without it, it walks /proc),
// and every tenth time it looks at every process for libraries loaded
// later. Attachment is per file (device, inode) with pid -1, so one
// attachment covers every process mapping that file.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/gotls/go_binary.h"
#include "agent/gotls/go_layout.h"
#include "agent/tls/elf_symbols.h"
#include "agent/tls/exec_watch.h"
#include "agent/tls/ssl_discovery.h"

struct bpf_program;
struct bpf_link;

namespace loupe::tls {

// The BPF programs to attach (owned by the socket tracer's skeleton) and
// the switch that tells its sys_exit program to look for SSL calls.
struct TlsPrograms {
  bpf_program* read_enter = nullptr;
  bpf_program* read_ex_enter = nullptr;
  bpf_program* write_enter = nullptr;
  bpf_program* write_ex_enter = nullptr;
  bpf_program* handshake_enter = nullptr;
  bpf_program* on_return = nullptr;
  std::function<void(bool)> set_enabled;
  // Go crypto/tls (bpf/go_tls.bpf.h); each attachment's bpf cookie is the
  // index of its program's layout, stored with set_go_layout first.
  bpf_program* go_write = nullptr;
  bpf_program* go_read_enter = nullptr;
  bpf_program* go_read_return = nullptr;
  std::function<bool(uint32_t index, uint64_t tcp_conn_itab, const gotls::GoTlsLayout&)>
      set_go_layout;
  ExecPrograms execs;  // processes that run exec: what a rescan reads
};

enum class TlsFileKind {
  Library,     // a libssl
  Executable,  // a program with OpenSSL linked in
  Go,          // a Go program (crypto/tls)
};

struct TlsLibraryStatus {
  std::string path;
  bool attached = false;
  std::string error;
  TlsFileKind kind = TlsFileKind::Library;
  uint32_t pid = 0;        // a process it was found in (0: host library directory)
  std::string go_version;  // Go programs: "go1.19.8"
  std::string go_layout;   // Go programs: where the socket offsets came from
  bool stripped = false;   // a Go program without a symbol table
};

class TlsTracer {
 public:
  struct Options {
    std::chrono::milliseconds rescan_interval{1000};
    std::string proc_root = "/proc";
    uint32_t self_pid = 0;
  };

  explicit TlsTracer(Options opts) : opts_(std::move(opts)) {}
  ~TlsTracer() { stop(); }
  TlsTracer(const TlsTracer&) = delete;
  TlsTracer& operator=(const TlsTracer&) = delete;

  // Attaches to what exists now (before returning, so traffic right after
  // start is seen) and starts the rescan thread.
  void start(TlsPrograms progs);
  // Stops rescanning and detaches every probe.
  void stop();

  std::vector<TlsLibraryStatus> libraries() const;
  nlohmann::json status() const;

 private:
  struct Attachment {
    TlsLibraryStatus status;
    std::vector<bpf_link*> entry_links;
    std::vector<bpf_link*> return_links;
    // Attached when `error` is empty; else its links are destroyed and
    // the error kept.
    void settle(const std::string& error);
  };

  // A process whose maps were read: what they were read for.
  struct KnownProcess {
    FileId exe;
    std::optional<uint64_t> executable_kb;
  };

  static void destroy(std::vector<bpf_link*>& links);
  void scan();
  // Whether to read the maps of process `pid` (its executable `exe`), and
  // what is kept of it in `into`: yes for a process not seen before or
  // that ran exec since; with `recheck`, also when its executable memory
  // changed since it was read (a dlopen).
  bool want_maps(uint32_t pid, const FileId& exe, bool recheck, const std::vector<uint32_t>& execed,
                 std::map<uint32_t, KnownProcess>& into);
  void consider(const SslCandidate& c);
  Attachment attach(const SslCandidate& c, const ElfSymbols& syms);
  // Records a file tried, attached or not, and says so on stderr once.
  void record(const SslCandidate& c, Attachment a);
  // go_programs.cpp: false when `c` is not a Go program using crypto/tls.
  bool consider_go(const SslCandidate& c);
  Attachment attach_go(const SslCandidate& c, const gotls::GoBinary& go,
                       const gotls::GoTlsLayout& layout);
  void run();

  Options opts_;
  TlsPrograms progs_;
  mutable std::mutex mu_;                    // guards files_ against status readers
  std::map<FileId, Attachment> files_;       // every OpenSSL file tried
  std::map<FileId, bool> checked_programs_;  // executables without OpenSSL (not shown)
  // Processes whose maps were read, by pid: a new process (or one that ran
  // exec) is read at the next rescan, known ones every kFullScanEvery
  // rescans, and then only when their executable memory changed (a dlopen:
  // executable_kb).
  std::map<uint32_t, KnownProcess> known_pids_;
  ExecWatch execs_;                       // the rescan thread's
  std::atomic<bool> exec_events_{false};  // execs_ started: for status()
  // Processes that ran exec lately, by pid, and in how many more rescans
  // their executable memory is looked at (a program loads libraries during
  // its first seconds: Python's ssl on import).
  std::map<uint32_t, unsigned> young_;
  unsigned scans_ = 0;
  size_t attached_count_ = 0;
  uint32_t go_layouts_used_ = 0;  // go_tls_layouts slots handed out (never reused)
  std::atomic<bool> running_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace loupe::tls
