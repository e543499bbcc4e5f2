// Sampled kernel addresses named as flame graphs show them
// ("function_[k]"): through the kernel's own symbol lookup
// (KernelNameLookup) when its BPF program loads, through /proc/kallsyms
// read whole otherwise. The addresses of a round's stacks are named
// together, a batch a system call, and the names kept by address: the same
// frames (syscall entry, the network stack, the scheduler) come back in
// every stack of every round.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/profile/kernel_name_lookup.h"
#include "agent/profile/kernel_symbols.h"

namespace loupe::profile {

class KernelFrames {
 public:
  // `kallsyms`: the file read when `use_lookup` is false or the lookup's
  // program does not load (tried once, on the first frame named).
  KernelFrames(std::string kallsyms, bool use_lookup)
      : kallsyms_path_(std::move(kallsyms)), use_lookup_(use_lookup) {}

  // The addresses of a stack (leaf first) whose names add() will be asked
  // for: named with the others expected on the next add().
  void expect(const std::vector<uint64_t>& ips);
  // Appends the names of `ips` (leaf first) to `out`, root first; returns
  // how many of them are "[unknown]_[k]".
  size_t add(const std::vector<uint64_t>& ips, std::vector<std::string>& out);

 private:
  // Names every address expected and not named yet.
  void name_expected();
  // The names of `addrs` as kallsyms gives them ("" when none), in order.
  std::vector<std::string> look_up(const std::vector<uint64_t>& addrs);

  std::string kallsyms_path_;
  bool use_lookup_;
  bool lookup_tried_ = false;
  std::unique_ptr<KernelNameLookup> lookup_;
  std::optional<KernelSymbols> kallsyms_;  // read only when the lookup is not used
  // Names as shown, by the address named (a return address's call site).
  // Emptied when it would hold more than 4,096.
  std::unordered_map<uint64_t, std::string> shown_;
  std::vector<uint64_t> expected_;
};

}  // namespace loupe::profile
