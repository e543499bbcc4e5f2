// Kernel function names from the kernel's own symbol lookup (the one
// behind printk's "%ps"), asked through a BPF program run with
// BPF_PROG_RUN: up to 128 addresses a system call, ~2 µs an address.
// Reading /proc/kallsyms instead makes the kernel print all of its ~120k
// symbols (35-50 ms of CPU on an agent's first kernel frame) and keeps
// 2.4 MiB of names, nearly all never sampled (docs/benchmarks.md, "issue
// 14, profship").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct kernel_names_bpf;

namespace loupe::profile {

class KernelNameLookup {
 public:
  // Null when the kernel refuses the program (syscall programs came in
  // 5.14, bpf_snprintf in 5.13; CAP_BPF is needed): names then come from
  // /proc/kallsyms.
  static std::unique_ptr<KernelNameLookup> load();
  ~KernelNameLookup();
  KernelNameLookup(const KernelNameLookup&) = delete;
  KernelNameLookup& operator=(const KernelNameLookup&) = delete;

  // Appends the name of each of `addrs` to `out`, in order, as
  // /proc/kallsyms would give it: "function", or "function [module]";
  // empty when the kernel knows no function there. False, with `out` as
  // it was, when a run failed.
  bool name(std::span<const uint64_t> addrs, std::vector<std::string>& out);

  // `printed` as /proc/kallsyms names it: a BPF program's symbol (which
  // "%ps" prints without a module) gets kallsyms' " [bpf]"; an address
  // printed as such ("0x...", no symbol) becomes empty.
  static std::string as_kallsyms_names_it(std::string_view printed);

 private:
  explicit KernelNameLookup(kernel_names_bpf* skel) : skel_(skel) {}
  kernel_names_bpf* skel_;
};

}  // namespace loupe::profile
