#include "agent/metrics/cgroup_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/small_file.h"

namespace loupe::metrics {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

namespace {

std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool has_word(std::string_view list, std::string_view word, char sep) {
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(sep, i);
    if (j == std::string_view::npos) j = list.size();
    if (list.substr(i, j - i) == word) return true;
    i = j + 1;
  }
  return false;
}

}  // namespace

const std::string& CgroupMounts::walk_root() const {
  if (!memory.empty()) return memory;
  if (!cpu.empty()) return cpu;
  return v2;
}

CgroupMounts parse_mountinfo(std::string_view mountinfo, const std::string& fs_prefix) {
  CgroupMounts m;
  for_each_line(mountinfo, [&](std::string_view line) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    auto f = split_fields(line);
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 3 >= f.size()) return;
    std::string mount = fs_prefix + std::string(f[4]);
    std::string_view fstype = f[dash + 1], super = f[dash + 3];
    // A later mount shadows an earlier one: in a container, the host's
    // /sys/fs/cgroup (a hostPath volume) is mounted over the runtime's own
    // namespaced view, and that is the one to read.
    if (fstype == "cgroup2") {
      m.v2 = mount;
    } else if (fstype == "cgroup") {
      if (has_word(super, "cpu", ',')) m.cpu = mount;
      if (has_word(super, "cpuacct", ',')) m.cpuacct = mount;
      if (has_word(super, "memory", ',')) m.memory = mount;
    }
  });
  std::string controllers;
  if (!m.v2.empty() && read_small_file(m.v2 + "/cgroup.controllers", controllers)) {
    while (!controllers.empty() && controllers.back() == '\n') controllers.pop_back();
    m.v2_cpu = has_word(controllers, "cpu", ' ');
    m.v2_memory = has_word(controllers, "memory", ' ');
  }
  return m;
}

CgroupMounts host_cgroup_mounts() {
  std::string text;
  read_small_file("/proc/self/mountinfo", text);
  return parse_mountinfo(text);
}

std::string find_cgroup_by_id(const std::string& root, uint64_t id) {
  if (root.empty() || id == 0) return "";
  struct stat st {};
  if (::stat(root.c_str(), &st) == 0 && st.st_ino == id) return "/";
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (::stat(it->path().c_str(), &st) == 0 && st.st_ino == id)
      return it->path().string().substr(root.size());
  }
  return "";
}

std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key) {
  std::optional<uint64_t> out;
  bool found = false;
  for_each_line(text, [&](std::string_view line) {
    if (found || line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != ' ')
      return;
    found = true;
    out = to_u64(line.substr(key.size() + 1));
  });
  return out;
}

std::optional<uint64_t> single_value(std::string_view text, bool* unlimited) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (unlimited) *unlimited = false;
  if (text == "max") {
    if (unlimited) *unlimited = true;
    return std::nullopt;
  }
  auto v = to_u64(text);
  // cgroup v1 writes "no limit" as PAGE_COUNTER_MAX pages: about 2^63.
  if (v && *v >= (1ULL << 62)) {
    if (unlimited) *unlimited = true;
    return std::nullopt;
  }
  return v;
}

std::optional<double> psi_some_avg10(std::string_view text) {
  if (!text.starts_with("some ")) return std::nullopt;
  size_t p = text.find("avg10=");
  size_t eol = text.find('\n');
  if (p == std::string_view::npos || (eol != std::string_view::npos && p > eol))
    return std::nullopt;
  p += 6;
  size_t e = p;
  while (e < text.size() && text[e] != ' ' && text[e] != '\n') ++e;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data() + p, text.data() + e, v);
  if (ec != std::errc{} || ptr != text.data() + e || e == p) return std::nullopt;
  return v;
}

}  // namespace loupe::metrics
