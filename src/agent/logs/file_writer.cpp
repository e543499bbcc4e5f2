#include "agent/logs/file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace loupe::logs {
namespace {

namespace fs = std::filesystem;

std::string read_small_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The open flags of descriptor `fd` of a process, from its fdinfo
// ("flags:\t0100001", octal).
std::optional<int> fd_flags(const fs::path& pid_dir, const std::string& fd) {
  std::string info = read_small_file(pid_dir / "fdinfo" / fd);
  size_t at = info.find("flags:");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stoi(info.substr(at + 6), nullptr, 8);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The files of `files` that process `pid_dir` holds open for writing.
std::set<FileId> written_files(const fs::path& pid_dir, const std::set<FileId>& files) {
  std::set<FileId> out;
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(pid_dir / "fd", ec)) {
    struct stat st {};
    if (stat(fd.path().c_str(), &st) != 0 || !files.count({st.st_dev, st.st_ino})) continue;
    auto flags = fd_flags(pid_dir, fd.path().filename().string());
    if (flags && (*flags & O_ACCMODE) != O_RDONLY) out.insert({st.st_dev, st.st_ino});
  }
  return out;
}

}  // namespace

std::string FileWriter::workload() const {
  return unit.empty() ? "Process/" + comm : "Unit/" + unit;
}

std::map<FileId, FileWriter> find_file_writers(const std::set<FileId>& files, int skip_pid,
                                               const std::string& proc) {
  std::map<FileId, FileWriter> found;
  if (files.empty()) return found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(proc, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 ||
        !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }))
      continue;
    int pid = std::stoi(name);
    if (pid == skip_pid) continue;
    std::set<FileId> written = written_files(entry.path(), files);
    if (written.empty()) continue;
    std::string comm = read_small_file(entry.path() / "comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    FileWriter w{pid, comm, systemd_unit_of(read_small_file(entry.path() / "cgroup"))};
    for (const FileId& f : written) {
      auto [it, added] = found.emplace(f, w);
      if (!added && pid < it->second.pid) it->second = w;
    }
  }
  return found;
}

std::string systemd_unit_of(std::string_view cgroup_file) {
  std::string unit;
  size_t line_start = 0;
  while (line_start < cgroup_file.size()) {
    size_t end = cgroup_file.find('\n', line_start);
    if (end == std::string_view::npos) end = cgroup_file.size();
    std::string_view line = cgroup_file.substr(line_start, end - line_start);
    line_start = end + 1;
    // "ID:CONTROLLERS:PATH": systemd's own hierarchy, v2 ("0::") or v1's.
    size_t c1 = line.find(':'), c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    if (!controllers.empty() && controllers != "name=systemd") continue;
    std::string_view path = line.substr(c2 + 1);
    size_t at = 0;
    while (at < path.size()) {
      size_t slash = path.find('/', at);
      if (slash == std::string_view::npos) slash = path.size();
      std::string_view part = path.substr(at, slash - at);
      if (part.size() > 8 && part.ends_with(".service")) unit = part;
      at = slash + 1;
    }
  }
  return unit;
}

}  // namespace loupe::logs
