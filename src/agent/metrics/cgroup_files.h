// Reading cgroup and /proc files: the hierarchies mounted on this host
// (v1 controllers, the v2 tree, or both in hybrid mode) and the small
// text formats the kernel uses in them. Every file read is listed per
// cgroup version in docs/metrics.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::metrics {

// Where each hierarchy is mounted; empty when it is not. In hybrid mode the
// v1 mounts hold the controllers and the v2 tree (often /sys/fs/cgroup/unified)
// only PSI and basic CPU time.
struct CgroupMounts {
  std::string v2;
  bool v2_cpu = false, v2_memory = false;  // controllers enabled in the v2 root
  std::string cpu, cpuacct, memory;        // v1 controller mounts

  // The hierarchy whose directories name the cgroups to sample: the v1
  // memory (or cpu) mount when there is one, else the v2 tree.
  const std::string& walk_root() const;
};

// From /proc/self/mountinfo text; v2_cpu/v2_memory from the v2 root's
// cgroup.controllers (read under `fs_prefix`, "" on a real host).
CgroupMounts parse_mountinfo(std::string_view mountinfo, const std::string& fs_prefix = "");
// The real host's mounts (/proc/self/mountinfo).
CgroupMounts host_cgroup_mounts();

// The path (inside the hierarchy, "/" for its root) of the cgroup directory
// under `root` whose inode is `id` (a kernel cgroup id); "" when none.
std::string find_cgroup_by_id(const std::string& root, uint64_t id);

// Whitespace-separated fields of one line.
std::vector<std::string_view> split_fields(std::string_view line);

// Calls f(line) for each line of text, without the newline.
template <typename F>
void for_each_line(std::string_view text, F f) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    f(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

// "key value" lines (cpu.stat, memory.stat, memory.events, oom_control):
// the value of `key`, nullopt when missing or not a number.
std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key);
// A file holding one number ("max" and v1's near-2^63 "unlimited" give
// nullopt with *unlimited set).
std::optional<uint64_t> single_value(std::string_view text, bool* unlimited = nullptr);
// The "some avg10=" value of a PSI file (cpu.pressure...), in percent.
std::optional<double> psi_some_avg10(std::string_view text);

}  // namespace loupe::metrics
