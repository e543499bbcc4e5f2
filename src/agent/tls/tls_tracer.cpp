#include "agent/tls/tls_tracer.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/tls/elf_symbols.h"
#include "agent/tls/probe_site.h"
#include "core/thread_name.h"

namespace loupe::tls {
namespace {

struct Probe {
  const char* function;
  bpf_program* TlsPrograms::*entry;
  bool required;  // SSL_read/SSL_write exist in every OpenSSL; the rest are optional
  bool returns;   // also a return probe (its result is needed)
};

// SSL_read_ex/SSL_write_ex exist since OpenSSL 1.1.1; SSL_do_handshake is
// probed only to mark the connection before its first application byte
// (SSL_connect and SSL_accept call it). The writes need no return probe:
// their plaintext is known at entry and emitted by their write syscall
// (bpf/ssl_trace.bpf.h), which saves a trap per call.
constexpr Probe kProbes[] = {
    {"SSL_read", &TlsPrograms::read_enter, true, true},
    {"SSL_write", &TlsPrograms::write_enter, true, false},
    {"SSL_read_ex", &TlsPrograms::read_ex_enter, false, true},
    {"SSL_write_ex", &TlsPrograms::write_ex_enter, false, false},
    {"SSL_do_handshake", &TlsPrograms::handshake_enter, false, true},
};

std::vector<std::string_view> probe_names() {
  std::vector<std::string_view> names;
  for (const Probe& p : kProbes) names.push_back(p.function);
  return names;
}

// `offset`: from the function's entry (probe_site.h).
bpf_link* attach_one(bpf_program* prog, const std::string& path, const char* function,
                     uint64_t offset, bool retprobe, std::string& error) {
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .func_name = function);
  // pid -1: every process that maps this file, including future ones.
  bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), offset, &opts);
  if (!link)
    error = std::string(retprobe ? "uretprobe " : "uprobe ") + function + ": " + strerror(errno);
  return link;
}

}  // namespace

void TlsTracer::destroy(std::vector<bpf_link*>& links) {
  for (bpf_link* l : links) bpf_link__destroy(l);
  links.clear();
}

void TlsTracer::Attachment::settle(const std::string& error) {
  if (error.empty()) {
    status.attached = true;
    return;
  }
  destroy(entry_links);
  destroy(return_links);
  status.error = error;
}

void TlsTracer::start(TlsPrograms progs) {
  progs_ = std::move(progs);
  // Before the first walk of /proc: a program started during it is read
  // at the next rescan.
  exec_events_ = execs_.start(progs_.execs);
  if (!exec_events_)
    std::fprintf(stderr,
                 "loupe: tls: no exec events (%s): new programs are found by walking /proc "
                 "every second\n",
                 strerror(errno));
  for (const SslCandidate& c : scan_host_libraries()) consider(c);
  scan();
  running_ = true;
  thread_ = std::thread([this] {
    name_this_thread("loupe-tls");
    run();
  });
}

void TlsTracer::stop() {
  if (running_.exchange(false)) {
    wake_.notify_all();
    thread_.join();
  }
  execs_.stop();
  std::lock_guard lock(mu_);
  // Entry probes first: once no call can start, no syscall is swallowed as
  // "inside SSL" and no call is left without its return probe.
  for (auto& [id, a] : files_) destroy(a.entry_links);
  if (attached_count_ && progs_.set_enabled) progs_.set_enabled(false);
  for (auto& [id, a] : files_) {
    destroy(a.return_links);
    a.status.attached = false;
  }
  attached_count_ = 0;
}

void TlsTracer::run() {
  while (running_) {
    {
      std::unique_lock lock(wake_mu_);
      wake_.wait_for(lock, opts_.rescan_interval, [this] { return !running_; });
    }
    if (running_) scan();
  }
}

void TlsTracer::scan() {
  // Every 10th rescan looks at every process again (libraries loaded later
  // with dlopen), the others only at processes that ran exec since. Each
  // known process's status (VmExe + VmLib, written in constant time) is
  // read, and its maps (~0.1-0.4 ms a process) only when that changed.
  constexpr unsigned kFullScanEvery = 10;
  constexpr unsigned kYoungScans = 2;  // the rescan after an exec and one more
  const bool full = scans_++ % kFullScanEvery == 0;
  ExecWatch::Execs execs = execs_.take();
  for (uint32_t pid : execs.pids) young_[pid] = kYoungScans;
  if (full || !execs_.active() || execs.lost) {
    // Without exec events a walk finds new processes (each one's
    // executable stat'ed: ~0.4 ms for 150 processes).
    std::map<uint32_t, KnownProcess> seen;
    auto want = [&](uint32_t pid, const FileId& exe) {
      return want_maps(pid, exe, full || young_.count(pid), execs.pids, seen);
    };
    for (const SslCandidate& c : scan_processes(opts_.proc_root, opts_.self_pid, want)) consider(c);
    known_pids_ = std::move(seen);  // forgets processes that are gone
  } else {
    std::vector<SslCandidate> found;
    auto want = [&](uint32_t pid, const FileId& exe) {
      return want_maps(pid, exe, true, execs.pids, known_pids_);
    };
    for (auto it = young_.begin(); it != young_.end();) {
      if (scan_process(opts_.proc_root, it->first, want, found)) {
        ++it;
      } else {  // gone (most of a build's compilers by the next rescan)
        known_pids_.erase(it->first);
        it = young_.erase(it);
      }
    }
    for (const SslCandidate& c : found) consider(c);
  }
  for (auto it = young_.begin(); it != young_.end();)
    it = --it->second ? std::next(it) : young_.erase(it);
}

bool TlsTracer::want_maps(uint32_t pid, const FileId& exe, bool recheck,
                          const std::vector<uint32_t>& execed,
                          std::map<uint32_t, KnownProcess>& into) {
  auto it = known_pids_.find(pid);
  bool fresh = it == known_pids_.end() || it->second.exe != exe ||
               std::binary_search(execed.begin(), execed.end(), pid);
  if (!fresh && !recheck) {
    into.insert_or_assign(pid, it->second);
    return false;
  }
  // Read before the maps: a library mapped after either read has changed
  // it by the next look.
  KnownProcess now{exe, executable_kb(opts_.proc_root, pid)};
  bool changed = fresh || !now.executable_kb || now.executable_kb != it->second.executable_kb;
  into.insert_or_assign(pid, now);
  return changed;
}

void TlsTracer::consider(const SslCandidate& c) {
  {
    std::lock_guard lock(mu_);
    if (files_.count(c.id) || checked_programs_.count(c.id)) return;
  }
  ElfSymbols syms = find_elf_functions(c.open_path, probe_names());
  bool has_ssl = syms.ok && syms.defined[0] && syms.defined[1];
  if (c.executable && !has_ssl) {
    if (consider_go(c)) return;
    // Most programs: no OpenSSL inside (or it is dynamic and found via maps).
    std::lock_guard lock(mu_);
    checked_programs_.emplace(c.id, false);
    return;
  }
  Attachment a;
  if (!syms.ok)
    a.status.error = "cannot read the ELF symbols: " + syms.error;
  else if (!has_ssl)
    a.status.error = "SSL_read/SSL_write not found in its symbol tables (stripped?)";
  else
    a = attach(c, syms);
  a.status.kind = c.executable ? TlsFileKind::Executable : TlsFileKind::Library;
  record(c, std::move(a));
}

void TlsTracer::record(const SslCandidate& c, Attachment a) {
  a.status.path = c.path;
  a.status.pid = c.pid;
  // One line per TLS file, once: what TLS traffic Loupe can see.
  std::string where = c.pid ? " (pid " + std::to_string(c.pid) + ")" : "";
  if (a.status.attached)
    std::fprintf(stderr, "loupe: tls: attached to %s%s\n", c.path.c_str(), where.c_str());
  else
    std::fprintf(stderr, "loupe: tls: cannot attach to %s%s: %s\n", c.path.c_str(), where.c_str(),
                 a.status.error.c_str());
  std::lock_guard lock(mu_);
  if (a.status.attached && attached_count_++ == 0 && progs_.set_enabled) progs_.set_enabled(true);
  files_.emplace(c.id, std::move(a));
}

TlsTracer::Attachment TlsTracer::attach(const SslCandidate& c, const ElfSymbols& syms) {
  Attachment a;
  std::string error;
  // Return probes before entry probes: a call that enters after its entry
  // probe is live must find its return probe live too, or its per-thread
  // state would linger until the thread's next SSL call.
  for (size_t i = 0; i < std::size(kProbes) && error.empty(); ++i) {
    if (!syms.defined[i] || !kProbes[i].returns) continue;
    if (bpf_link* l =
            attach_one(progs_.on_return, c.open_path, kProbes[i].function, 0, true, error))
      a.return_links.push_back(l);
  }
  for (size_t i = 0; i < std::size(kProbes) && error.empty(); ++i) {
    if (!syms.defined[i]) continue;
    // Entry-only probes (the writes) sit on an instruction the kernel
    // emulates when one is equivalent to the entry: one trap instead of two.
    uint64_t at = kProbes[i].returns ? 0 : emulated_entry_offset(syms.code[i], syms.machine);
    if (bpf_link* l = attach_one(progs_.*kProbes[i].entry, c.open_path, kProbes[i].function, at,
                                 false, error))
      a.entry_links.push_back(l);
  }
  a.settle(error);
  return a;
}

std::vector<TlsLibraryStatus> TlsTracer::libraries() const {
  std::lock_guard lock(mu_);
  std::vector<TlsLibraryStatus> out;
  for (const auto& [id, a] : files_) out.push_back(a.status);
  return out;
}

nlohmann::json TlsTracer::status() const {
  nlohmann::json libs = nlohmann::json::array();
  size_t attached = 0, go_attached = 0, go_stripped = 0;
  for (const TlsLibraryStatus& s : libraries()) {
    static constexpr const char* kKinds[] = {"library", "executable", "go"};
    nlohmann::json j{
        {"path", s.path}, {"attached", s.attached}, {"kind", kKinds[static_cast<int>(s.kind)]}};
    if (!s.error.empty()) j["error"] = s.error;
    if (s.pid) j["found_in_pid"] = s.pid;
    if (!s.go_version.empty()) j["go_version"] = s.go_version;
    if (!s.go_layout.empty()) j["go_layout"] = s.go_layout;
    attached += s.attached;
    go_attached += s.attached && s.kind == TlsFileKind::Go;
    go_stripped += s.stripped;
    libs.push_back(std::move(j));
  }
  return {{"enabled", attached > 0},
          {"exec_events", exec_events_.load()},
          {"libraries_attached", attached},
          {"go_programs_attached", go_attached},
          {"go_programs_stripped", go_stripped},
          {"tls_libraries", libs}};
}

}  // namespace loupe::tls
