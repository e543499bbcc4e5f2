// Finds the files that may carry OpenSSL: libssl.so* mapped by running
// processes (including containers' own copies, reached through
// /proc/PID/root), every process's executable (for static OpenSSL), and the
// host's own libssl in the usual library directories.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::tls {

// Identity of a file: uprobes attach per inode, so one attachment per
// (device, inode) covers every process that maps it, now or later.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
  auto operator<=>(const FileId&) const = default;
};

struct SslCandidate {
  std::string path;       // as the process sees it (for humans)
  std::string open_path;  // the same file reachable from the agent's mount namespace
  FileId id;
  uint32_t pid = 0;         // one process mapping it; 0 when found on the host's disk
  bool executable = false;  // a program (OpenSSL only if linked in statically)
};

// True for OpenSSL's libssl file names ("libssl.so", "libssl.so.3",
// "libssl.so.1.1"); not NSS's "libssl3.so".
bool is_libssl_name(std::string_view path);

// Parses one /proc/PID/maps text; returns the distinct libssl paths mapped.
std::vector<std::string> libssl_paths_in_maps(std::string_view maps_text);

// The executable memory of a /proc/PID/status text (VmExe + VmLib, kB: the
// kernel's exec_vm), or nullopt when it has none (a kernel thread). A
// dlopen of a library maps its code and changes it; nothing else a process
// does without exec changes it but mapping or unmapping executable memory.
std::optional<uint64_t> executable_kb_in_status(std::string_view status_text);
// The same read from `proc_root`/PID/status (~1 page of text the kernel
// writes in constant time, where maps is a line per mapping).
std::optional<uint64_t> executable_kb(const std::string& proc_root, uint32_t pid);

// Every process under proc_root except `self_pid` for which `want_maps(pid,
// exe)` says so (all without it): its executable and its libssl mappings
// (reading /proc/PID/maps is what a scan costs: ~0.1-0.4 ms per process). A
// process it declines was looked at before: nothing of it is read further.
using WantMaps = std::function<bool(uint32_t pid, const FileId& exe)>;
// The same for one process, appended to `out`; false when it is gone (or a
// kernel thread).
bool scan_process(const std::string& proc_root, uint32_t pid, const WantMaps& want_maps,
                  std::vector<SslCandidate>& out);
std::vector<SslCandidate> scan_processes(const std::string& proc_root, uint32_t self_pid,
                                         const WantMaps& want_maps);

// libssl.so* in the host's standard library directories, so that programs
// started later are covered from their first call.
std::vector<SslCandidate> scan_host_libraries();

}  // namespace loupe::tls
