// Who writes a log file on a bare host (`loupe run --logs GLOB`): the
// process holding it open for writing, found through /proc/<pid>/fd, and
// the systemd unit it runs in, from /proc/<pid>/cgroup. Kubernetes files
// are attributed from their path instead (pod_log_path.h).
//
// Looked up when a file is opened (a scan of every process's descriptors:
// too costly for every read), so a file whose writer opens it later is
// looked up again (log_tailer.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace loupe::logs {

struct FileWriter {
  int pid = 0;
  std::string comm;  // the process name (/proc/<pid>/comm)
  std::string unit;  // its systemd service ("nginx.service"); empty when none

  // How entries name their writer: "Unit/nginx.service", else
  // "Process/nginx" (the "Kind/name" shape of a workload).
  std::string workload() const;
};

using FileId = std::pair<uint64_t, uint64_t>;  // device, inode

// For each file (device, inode) that a process other than `skip_pid` holds
// open for writing: that process (the lowest pid when several do). One pass
// over every process's descriptors for all the files; files with no writer
// (or a /proc that cannot be read) are left out.
std::map<FileId, FileWriter> find_file_writers(const std::set<FileId>& files, int skip_pid,
                                               const std::string& proc = "/proc");

// The systemd service named by a /proc/<pid>/cgroup file: the last
// "*.service" in its path (the unified hierarchy's line, or v1's
// name=systemd one). Empty when the process is in no service.
std::string systemd_unit_of(std::string_view cgroup_file);

}  // namespace loupe::logs
