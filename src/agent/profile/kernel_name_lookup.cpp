#include "agent/profile/kernel_name_lookup.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>

#include "kernel_names.h"
#include "kernel_names.skel.h"

namespace loupe::profile {
namespace {

bool all_of_set(std::string_view s, std::string_view set) {
  return !s.empty() && s.find_first_not_of(set) == std::string_view::npos;
}

// The kernel names a JITed program "bpf_prog_<tag: 16 hex digits>" with
// "_<name>" when it has one, and a trampoline "bpf_trampoline_<key>"
// (kernel/bpf/core.c bpf_get_prog_name, trampoline.c).
bool is_bpf_symbol(std::string_view name) {
  constexpr std::string_view kProg = "bpf_prog_", kTrampoline = "bpf_trampoline_";
  constexpr std::string_view kHex = "0123456789abcdef";
  if (name.starts_with(kProg)) {
    std::string_view rest = name.substr(kProg.size());
    return rest.size() >= 16 && all_of_set(rest.substr(0, 16), kHex) &&
           (rest.size() == 16 || rest[16] == '_');
  }
  return name.starts_with(kTrampoline) && all_of_set(name.substr(kTrampoline.size()), "0123456789");
}

}  // namespace

std::unique_ptr<KernelNameLookup> KernelNameLookup::load() {
  kernel_names_bpf* skel = kernel_names_bpf__open_and_load();
  if (!skel) return nullptr;
  return std::unique_ptr<KernelNameLookup>(new KernelNameLookup(skel));
}

KernelNameLookup::~KernelNameLookup() { kernel_names_bpf__destroy(skel_); }

bool KernelNameLookup::name(std::span<const uint64_t> addrs, std::vector<std::string>& out) {
  size_t had = out.size();
  auto* bss = skel_->bss;
  while (!addrs.empty()) {
    size_t n = std::min<size_t>(addrs.size(), LOUPE_KERNEL_NAMES_BATCH);
    std::copy_n(addrs.begin(), n, bss->addrs);
    bss->count = static_cast<uint32_t>(n);
    LIBBPF_OPTS(bpf_test_run_opts, run);
    if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.loupe_kernel_names), &run) != 0) {
      out.resize(had);
      return false;
    }
    for (size_t i = 0; i < n; ++i)
      out.push_back(as_kallsyms_names_it(
          std::string_view(bss->names[i], strnlen(bss->names[i], LOUPE_KERNEL_NAME_SIZE))));
    addrs = addrs.subspan(n);
  }
  return true;
}

std::string KernelNameLookup::as_kallsyms_names_it(std::string_view printed) {
  if (printed.empty() || printed.starts_with("0x")) return {};
  std::string name(printed);
  if (printed.find(' ') == std::string_view::npos && is_bpf_symbol(printed)) name += " [bpf]";
  return name;
}

}  // namespace loupe::profile
