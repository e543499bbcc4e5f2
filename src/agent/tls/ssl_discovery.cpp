#include "agent/tls/ssl_discovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "core/small_file.h"

namespace loupe::tls {
namespace {

namespace fs = std::filesystem;

bool stat_id(const std::string& path, FileId& id) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return true;
}

}  // namespace

bool is_libssl_name(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  return base.starts_with("libssl.so");
}

std::vector<std::string> libssl_paths_in_maps(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    // "start-end perms offset dev inode   path": the path starts at the first '/'.
    size_t slash = line.find('/');
    if (slash == std::string_view::npos) continue;
    std::string_view path = line.substr(slash);
    if (path.ends_with(" (deleted)") || !is_libssl_name(path)) continue;
    if (std::find(out.begin(), out.end(), path) == out.end()) out.emplace_back(path);
  }
  return out;
}

std::optional<uint64_t> executable_kb_in_status(std::string_view text) {
  uint64_t kb = 0;
  int found = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.starts_with("VmExe:") && !line.starts_with("VmLib:")) continue;
    std::string_view value = line.substr(6);
    size_t digit = value.find_first_not_of(" \t");
    if (digit == std::string_view::npos) return std::nullopt;
    uint64_t v = 0;
    auto [end, err] = std::from_chars(value.data() + digit, value.data() + value.size(), v);
    if (err != std::errc()) return std::nullopt;
    kb += v;
    if (++found == 2) return kb;
  }
  return std::nullopt;
}

std::optional<uint64_t> executable_kb(const std::string& proc_root, uint32_t pid) {
  return executable_kb_in_status(
      read_small_file(proc_root + "/" + std::to_string(pid) + "/status").value_or(""));
}

bool scan_process(const std::string& proc_root, uint32_t pid, const WantMaps& want_maps,
                  std::vector<SslCandidate>& out) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  SslCandidate exe;
  exe.open_path = dir + "/exe";
  if (!stat_id(exe.open_path, exe.id)) return false;  // kernel thread or gone
  if (want_maps && !want_maps(pid, exe.id)) return true;
  std::error_code ec;
  exe.path = fs::read_symlink(exe.open_path, ec).string();
  exe.pid = pid;
  exe.executable = true;
  out.push_back(std::move(exe));

  for (std::string& path : libssl_paths_in_maps(read_small_file(dir + "/maps").value_or(""))) {
    SslCandidate lib;
    // Through the process's root: a container's own copy, not the host's.
    lib.open_path = dir + "/root" + path;
    if (!stat_id(lib.open_path, lib.id)) continue;
    lib.path = std::move(path);
    lib.pid = pid;
    out.push_back(std::move(lib));
  }
  return true;
}

std::vector<SslCandidate> scan_processes(const std::string& proc_root, uint32_t self_pid,
                                         const WantMaps& want_maps) {
  std::vector<SslCandidate> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(proc_root, ec)) {
    const std::string name = entry.path().filename().string();
    uint32_t pid = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (err != std::errc() || end != name.data() + name.size() || pid == self_pid) continue;
    scan_process(proc_root, pid, want_maps, out);
  }
  return out;
}

std::vector<SslCandidate> scan_host_libraries() {
  std::vector<SslCandidate> out;
  for (const char* dir : {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib",
                          "/usr/local/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                          "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string path = entry.path().string();
      if (!is_libssl_name(path)) continue;
      SslCandidate c;
      if (!stat_id(path, c.id)) continue;
      // Report the real file, not the symlink that led to it.
      c.path = fs::canonical(path, ec).string();
      if (ec) c.path = path;
      c.open_path = c.path;
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace loupe::tls
