#include "agent/metrics/node_sampler.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <set>
#include <string_view>

#include "agent/metrics/cgroup_files.h"
#include "core/small_file.h"

namespace loupe::metrics {

namespace {

bool to_u64(std::string_view s, uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

// /proc/stat's cpu columns, in order.
constexpr std::array<const char*, 8> kCpuModes{"user",   "nice", "system",  "idle",
                                               "iowait", "irq",  "softirq", "steal"};

// Mount points in /proc/self/mounts escape space, tab, newline and
// backslash as three octal digits ("\\040").
std::string unescape_mount(std::string_view s) {
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

NodeSampler::NodeSampler(std::string node, std::string proc_root)
    : node_(std::move(node)), proc_(std::move(proc_root)) {
  long hz = sysconf(_SC_CLK_TCK);
  ticks_per_s_ = hz > 0 ? static_cast<double>(hz) : 100.0;
}

void NodeSampler::emit(std::vector<MetricSample>& out, const char* metric, double value,
                       const std::string& label) {
  MetricSample s;
  s.time_ns = now_ns_;
  s.entity = "node";
  s.name = node_;
  s.label = label;
  s.metric = metric;
  s.value = value;
  out.push_back(std::move(s));
}

void NodeSampler::sample(uint64_t now_ns, uint64_t mono_ns, std::vector<MetricSample>& out) {
  now_ns_ = now_ns;
  // 0 on the first tick: counters only set their baseline.
  double dt_s = prev_mono_ns_ && mono_ns > prev_mono_ns_
                    ? static_cast<double>(mono_ns - prev_mono_ns_) / 1e9
                    : 0;
  prev_mono_ns_ = mono_ns;
  cpu(out, dt_s);
  memory_and_load(out);
  disks(out, dt_s);
  network(out, dt_s);
}

void NodeSampler::cpu(std::vector<MetricSample>& out, double dt_s) {
  std::string text;
  if (!read_small_file(proc_ + "/stat", text)) return;
  std::vector<uint64_t> cur;
  uint64_t cpus = 0;
  bool bad = false;
  for_each_line(text, [&](std::string_view line) {
    auto f = split_fields(line);
    if (f.empty()) return;
    if (f[0] == "cpu") {
      for (size_t i = 1; i < f.size() && i <= kCpuModes.size(); ++i) {
        uint64_t v = 0;
        if (!to_u64(f[i], v)) bad = true;
        cur.push_back(v);
      }
    } else if (f[0].starts_with("cpu")) {
      ++cpus;
    }
  });
  if (bad || cur.size() < 4) {
    ++stats_.malformed;
    return;
  }
  emit(out, "node_cpu_count", static_cast<double>(cpus));
  if (dt_s > 0 && prev_cpu_.size() == cur.size()) {
    double busy = 0;
    for (size_t i = 0; i < cur.size(); ++i) {
      if (cur[i] < prev_cpu_[i]) continue;
      double cores = static_cast<double>(cur[i] - prev_cpu_[i]) / ticks_per_s_ / dt_s;
      emit(out, "node_cpu_cores", cores, kCpuModes[i]);
      if (i != 3 && i != 4) busy += cores;  // idle, iowait
    }
    emit(out, "node_cpu_usage_cores", busy);
  }
  prev_cpu_ = std::move(cur);
}

void NodeSampler::memory_and_load(std::vector<MetricSample>& out) {
  std::string text;
  if (read_small_file(proc_ + "/meminfo", text)) {
    auto kb = [&text](std::string_view key) -> std::optional<uint64_t> {
      size_t p = text.find(key);
      if (p == std::string::npos) return std::nullopt;
      auto f = split_fields(std::string_view(text).substr(p + key.size(), 32));
      uint64_t v = 0;
      if (f.empty() || !to_u64(f[0], v)) return std::nullopt;
      return v * 1024;
    };
    auto total = kb("MemTotal:"), avail = kb("MemAvailable:");
    if (total) emit(out, "node_memory_total_bytes", static_cast<double>(*total));
    if (avail) emit(out, "node_memory_available_bytes", static_cast<double>(*avail));
    if (!total || !avail) ++stats_.malformed;
  }
  if (read_small_file(proc_ + "/loadavg", text)) {
    auto f = split_fields(text);
    const char* names[] = {"node_load1", "node_load5", "node_load15"};
    for (size_t i = 0; i < 3; ++i) {
      double v = 0;
      auto [p, ec] = i < f.size() ? std::from_chars(f[i].data(), f[i].data() + f[i].size(), v)
                                  : std::from_chars_result{nullptr, std::errc::invalid_argument};
      if (ec != std::errc{}) {
        ++stats_.malformed;
        break;
      }
      emit(out, names[i], v);
    }
  }
}

void NodeSampler::disks(std::vector<MetricSample>& out, double dt_s) {
  std::string text;
  // Space of each mounted block-device file system, once per device.
  // PID 1's view is the host's: in a container (the agent DaemonSet has
  // hostPID) the agent's own mounts and network namespace are not the node's.
  if (read_small_file(proc_ + "/1/mounts", text) || read_small_file(proc_ + "/self/mounts", text)) {
    std::set<std::string> seen;
    for_each_line(text, [&](std::string_view line) {
      auto f = split_fields(line);
      if (f.size() < 3 || !f[0].starts_with("/dev/") || f[0].starts_with("/dev/loop")) return;
      if (!seen.insert(std::string(f[0])).second) return;
      std::string mount = unescape_mount(f[1]);
      struct statvfs st {};
      // The host's file system seen from here; our own path where PID 1's
      // root is closed to us (no CAP_SYS_PTRACE over it).
      std::string host_path = proc_ + "/1/root" + mount;
      if (statvfs(host_path.c_str(), &st) != 0 && statvfs(mount.c_str(), &st) != 0) return;
      if (st.f_blocks == 0) return;
      double frag = static_cast<double>(st.f_frsize);
      emit(out, "node_disk_used_bytes", static_cast<double>(st.f_blocks - st.f_bfree) * frag,
           mount);
      emit(out, "node_disk_free_bytes", static_cast<double>(st.f_bavail) * frag, mount);
    });
  }
  // IO of whole disks: major minor name reads merged sectors_read ms writes merged sectors_written.
  if (!read_small_file(proc_ + "/diskstats", text)) return;
  std::map<std::string, std::vector<uint64_t>> cur;
  for_each_line(text, [&](std::string_view line) {
    auto f = split_fields(line);
    if (f.size() < 10) return;
    std::string dev(f[2]);
    if (dev.starts_with("loop") || dev.starts_with("ram")) return;
    uint64_t rd = 0, wr = 0;
    if (!to_u64(f[5], rd) || !to_u64(f[9], wr)) {
      ++stats_.malformed;
      return;
    }
    cur[dev] = {rd * 512, wr * 512};
  });
  if (dt_s > 0)
    for (const auto& [dev, v] : cur) {
      auto it = prev_disk_.find(dev);
      if (it == prev_disk_.end() || v[0] < it->second[0] || v[1] < it->second[1]) continue;
      emit(out, "node_disk_read_bytes_per_second", static_cast<double>(v[0] - it->second[0]) / dt_s,
           dev);
      emit(out, "node_disk_written_bytes_per_second",
           static_cast<double>(v[1] - it->second[1]) / dt_s, dev);
    }
  prev_disk_ = std::move(cur);
}

void NodeSampler::network(std::vector<MetricSample>& out, double dt_s) {
  std::string text;
  if (!read_small_file(proc_ + "/1/net/dev", text) && !read_small_file(proc_ + "/net/dev", text))
    return;
  // "  eth0: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed multicast
  //          tx_bytes tx_packets tx_errs ..."
  std::map<std::string, std::vector<uint64_t>> cur;
  for_each_line(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the two header lines
    auto name = split_fields(line.substr(0, colon));
    auto f = split_fields(line.substr(colon + 1));
    if (name.size() != 1 || f.size() < 11) {
      ++stats_.malformed;
      return;
    }
    std::vector<uint64_t> v(5);
    const size_t cols[] = {0, 1, 8, 9};  // rx bytes, rx packets, tx bytes, tx packets
    bool ok = true;
    for (size_t i = 0; i < 4; ++i) ok = ok && to_u64(f[cols[i]], v[i]);
    uint64_t rx_err = 0, tx_err = 0;
    ok = ok && to_u64(f[2], rx_err) && to_u64(f[10], tx_err);
    if (!ok) {
      ++stats_.malformed;
      return;
    }
    v[4] = rx_err + tx_err;
    cur[std::string(name[0])] = std::move(v);
  });
  static constexpr const char* kNames[] = {
      "node_network_receive_bytes_per_second", "node_network_receive_packets_per_second",
      "node_network_transmit_bytes_per_second", "node_network_transmit_packets_per_second"};
  if (dt_s > 0)
    for (const auto& [iface, v] : cur) {
      auto it = prev_net_.find(iface);
      if (it == prev_net_.end()) continue;
      bool reset = false;
      for (size_t i = 0; i < v.size(); ++i) reset = reset || v[i] < it->second[i];
      if (reset) continue;
      for (size_t i = 0; i < 4; ++i)
        emit(out, kNames[i], static_cast<double>(v[i] - it->second[i]) / dt_s, iface);
      emit(out, "node_network_errors", static_cast<double>(v[4] - it->second[4]), iface);
    }
  prev_net_ = std::move(cur);
}

}  // namespace loupe::metrics
