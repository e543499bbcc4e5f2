// The checks that read this host: kernel, BTF, tracefs, capabilities,
// memlock, cgroups, libssl, capstone, the data directory.
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/capstone_library.h"
#include "agent/tls/ssl_discovery.h"
#include "cli/doctor/check.h"

namespace loupe::cli::doctor {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CheckResult pass(std::string name, std::string detail) {
  return {std::move(name), Status::Pass, std::move(detail), ""};
}
CheckResult fail(std::string name, std::string detail, std::string fix) {
  return {std::move(name), Status::Fail, std::move(detail), std::move(fix)};
}

// Linux capability numbers (linux/capability.h), here to avoid libcap.
constexpr int kCapSysPtrace = 19, kCapSysAdmin = 21, kCapSysResource = 24, kCapPerfmon = 38,
              kCapBpf = 39;

uint64_t effective_capabilities() {
  std::istringstream in(read_text("/proc/self/status"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("CapEff:")) return std::strtoull(line.c_str() + 7, nullptr, 16);
  return 0;
}

bool kernel_at_least(int major, int minor) {
  utsname u{};
  uname(&u);
  auto [ma, mi] = kernel_release_version(u.release);
  return ma > major || (ma == major && mi >= minor);
}

}  // namespace

std::pair<int, int> kernel_release_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
  return {major, minor};
}

CheckResult check_kernel_version() {
  utsname u{};
  uname(&u);
  if (kernel_at_least(5, 8)) return pass("kernel version", std::string("Linux ") + u.release);
  return fail("kernel version", std::string("Linux ") + u.release + " is older than 5.8",
              "upgrade to Linux 5.8 or later (ring buffers, CAP_BPF)");
}

CheckResult check_btf(const Options& o) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(o.btf_path, ec) && access(o.btf_path.c_str(), R_OK) == 0)
    return pass("BTF", o.btf_path);
  return fail("BTF", "no kernel type information at " + o.btf_path,
              "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, RHEL, Fedora "
              "kernels are)");
}

std::string tracefs_mount(const std::string& mountinfo_text) {
  std::istringstream in(mountinfo_text);
  for (std::string line; std::getline(in, line);) {
    // ... mount-point ... - fstype source options
    std::istringstream fields(line);
    std::string f, mount_point;
    for (int i = 0; i < 5 && fields >> f; ++i)
      if (i == 4) mount_point = f;
    auto dash = line.find(" - ");
    if (dash != std::string::npos && line.compare(dash + 3, 8, "tracefs ") == 0) return mount_point;
  }
  return "";
}

CheckResult check_tracefs(const Options& o) {
  std::string at = tracefs_mount(read_text(o.mountinfo_path));
  if (!at.empty()) return pass("tracefs mounted", at);
  // Loupe attaches raw tracepoints and perf-event uprobes, which need no
  // tracefs; only kernel tracing tools (bpftrace, perf trace) would.
  return {"tracefs mounted", Status::Skip,
          "not mounted: capture does not need it (raw tracepoints, perf-event uprobes); "
          "tracing tools would: mount -t tracefs nodev /sys/kernel/tracing",
          ""};
}

CheckResult check_capabilities() {
  uint64_t caps = effective_capabilities();
  auto has = [caps](int cap) { return (caps >> cap) & 1; };
  bool admin = has(kCapSysAdmin);
  std::string missing;
  auto need = [&](bool ok, const char* name) {
    if (!ok) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  need(has(kCapBpf) || admin, "CAP_BPF");
  need(has(kCapPerfmon) || admin, "CAP_PERFMON");
  // Only to lift RLIMIT_MEMLOCK, which 5.11+ no longer applies to BPF.
  need(has(kCapSysResource) || kernel_at_least(5, 11), "CAP_SYS_RESOURCE");
  need(has(kCapSysPtrace), "CAP_SYS_PTRACE");
  if (missing.empty()) return pass("capabilities", geteuid() == 0 ? "root" : "the needed ones");
  return fail("capabilities", "missing " + missing + (geteuid() == 0 ? "" : " (not root)"),
              "run as root (sudo), or grant CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE and "
              "CAP_SYS_PTRACE (systemd: AmbientCapabilities=; Kubernetes: securityContext."
              "capabilities.add)");
}

CheckResult check_memlock() {
  if (kernel_at_least(5, 11))
    return pass("memlock", "not needed: the kernel charges BPF memory to the cgroup (5.11+)");
  rlimit r{};
  getrlimit(RLIMIT_MEMLOCK, &r);
  if (r.rlim_cur == RLIM_INFINITY || (effective_capabilities() >> kCapSysResource) & 1)
    return pass("memlock", "unlimited, or raisable (CAP_SYS_RESOURCE)");
  return fail("memlock", "RLIMIT_MEMLOCK is " + std::to_string(r.rlim_cur) + " bytes",
              "raise it: LimitMEMLOCK=infinity (systemd), ulimit -l unlimited, or grant "
              "CAP_SYS_RESOURCE");
}

CheckResult check_cgroups(const Options& o) {
  struct statfs fs {};
  if (statfs(o.cgroup_root.c_str(), &fs) != 0)
    return fail("cgroup layout", "nothing mounted at " + o.cgroup_root,
                "mount the cgroup file system (container metrics and attribution read it)");
  if (fs.f_type == CGROUP2_SUPER_MAGIC) return pass("cgroup layout", "v2 (unified)");
  struct statfs unified {};
  if (statfs((o.cgroup_root + "/unified").c_str(), &unified) == 0 &&
      unified.f_type == CGROUP2_SUPER_MAGIC)
    return pass("cgroup layout", "hybrid (v1 controllers, v2 at " + o.cgroup_root + "/unified)");
  return pass("cgroup layout", "v1");
}

CheckResult check_libssl() {
  auto found = tls::scan_host_libraries();
  if (!found.empty()) return pass("libssl found", found.front().path);
  return fail("libssl found", "no libssl.so* in the usual library directories",
              "TLS capture hooks OpenSSL's libssl: install it (apt-get install libssl3); programs "
              "with their own copy are still found while they run");
}

CheckResult check_disassembler() {
  CapstoneLibrary capstone;
  if (capstone.api()) return pass("disassembler loadable", CapstoneLibrary::soname());
  return fail("disassembler loadable", capstone.error(),
              "TLS capture places the SSL_write and Go crypto/tls probes by disassembling them "
              "with capstone: install Debian's libcapstone package of that version");
}

CheckResult check_data_dir(const Options& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = o.data_dir;
  if (!fs::exists(dir, ec)) {
    fs::path parent = dir;
    while (!parent.empty() && parent != parent.root_path() && !fs::exists(parent, ec))
      parent = parent.parent_path();
    // A file where a directory of the path should be is as bad as no access.
    if (fs::is_directory(parent, ec) && access(parent.c_str(), W_OK) == 0)
      return pass("data directory writable", o.data_dir + " (created on first start)");
    return fail(
        "data directory writable",
        o.data_dir + " does not exist and " + parent.string() + " is not a writable directory",
        "create it for the user Loupe runs as, or pass --data-dir");
  }
  std::string probe = (dir / ".loupe-doctor-XXXXXX").string();
  int fd = mkstemp(probe.data());
  if (fd >= 0) {
    close(fd);
    unlink(probe.c_str());
    return pass("data directory writable", o.data_dir);
  }
  return fail("data directory writable", o.data_dir + " is not writable",
              "chown it to the user Loupe runs as (systemd: StateDirectory=loupe), or pass "
              "--data-dir");
}

}  // namespace loupe::cli::doctor
