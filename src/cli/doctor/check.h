// `loupe doctor`'s checks: each looks at one thing Loupe needs and, when it
// is missing, says how to fix it. Each check is one function; the command
// (cli/doctor_command.cpp) runs them in order and prints the results.
#pragma once

#include <string>
#include <vector>

namespace loupe::cli::doctor {

enum class Status { Pass, Fail, Skip };  // Skip: does not apply here

struct CheckResult {
  std::string name;  // "kernel version", "BTF", ...
  Status status = Status::Pass;
  std::string detail;  // what was found
  std::string fix;     // what to do, when it failed
};

// What the checks look at. Paths are settable so tests (and odd hosts) can
// point them elsewhere.
struct Options {
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  std::string mountinfo_path = "/proc/self/mountinfo";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string data_dir = "/var/lib/loupe";
  std::string server;      // agent: the server to reach; empty: skipped
  std::string token;       // the token for it
  std::string ca_file;     // its CA, for https
  std::string kubeconfig;  // collector: empty: in-cluster or $KUBECONFIG, skipped if none
};

CheckResult check_kernel_version();
CheckResult check_btf(const Options& o);
CheckResult check_tracefs(const Options& o);
CheckResult check_capabilities();
CheckResult check_bpf_programs();  // a raw tracepoint program and a ring buffer
CheckResult check_memlock();
CheckResult check_cgroups(const Options& o);
CheckResult check_libssl();
CheckResult check_disassembler();  // capstone, opened when TLS probes are placed
CheckResult check_data_dir(const Options& o);
CheckResult check_server(const Options& o);
CheckResult check_kubernetes(const Options& o);

// Where tracefs is mounted ("/sys/kernel/tracing"), from a mountinfo text;
// empty if nowhere.
std::string tracefs_mount(const std::string& mountinfo_text);

// "6.18.0-foo" -> {6, 18}; {0, 0} when unreadable.
std::pair<int, int> kernel_release_version(const std::string& release);

}  // namespace loupe::cli::doctor
