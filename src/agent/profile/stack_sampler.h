// Loads bpf/profile.bpf.c, attaches it to a software CPU-clock perf event
// on every CPU, and drains the counted stacks as raw instruction addresses.
// On x86-64 a thread of its own loads the .eh_frame unwind tables the
// program asks for (agent/profile/unwind_loader.h). Symbolization is the
// Symbolizer's job (agent/profile/symbolizer.h).
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/profile/unwind_loader.h"
#include "profile.h"

struct profile_bpf;
struct bpf_link;

namespace loupe::profile {

struct SamplerOptions {
  uint32_t hz = 19;          // samples per second per CPU
  uint32_t filter_tgid = 0;  // 0: every process
};

// One (process, user stack, kernel stack) and how often it was sampled.
// Addresses are leaf first, as the kernel unwinds them.
struct RawStack {
  uint32_t tgid = 0;
  std::string comm;  // of the first thread sampled with this stack
  std::vector<uint64_t> user;
  std::vector<uint64_t> kernel;
  bool user_lost = false;       // the stack was taken but not stored (map full)
  bool user_truncated = false;  // the unwinder stopped before the outermost frame
  bool kernel_lost = false;
  uint64_t samples = 0;
};

struct SamplerCounters {
  std::array<uint64_t, LOUPE_PROFILE_STAT_MAX> v{};
  uint64_t stacks_missing = 0;  // a count whose stack id was gone from the map
  UnwindCounters unwind;        // zero where frame pointers are the only way (arm64)
  uint64_t operator[](loupe_profile_stat s) const { return v[s]; }
};

class StackSampler {
 public:
  explicit StackSampler(SamplerOptions opts) : opts_(opts) {}
  ~StackSampler();
  StackSampler(const StackSampler&) = delete;
  StackSampler& operator=(const StackSampler&) = delete;

  // Loads and attaches on every online CPU. Throws AgentError saying what
  // is missing (root, perf_event support).
  void start();
  int cpus() const { return static_cast<int>(links_.size()); }

  // The stacks counted since the last drain. Switches the program to the
  // other set of maps first, so it never reads a set still being written.
  std::vector<RawStack> drain();

  SamplerCounters counters() const;

 private:
  void start_unwinder();
  void stop_unwinder();
  // Kernel stack `id` of `map_fd`, leaf first; nullopt when it is not
  // there. Read and deleted in one system call where the kernel allows it
  // on a stack-trace map (Linux 6.x), else read, and its id added to
  // `to_delete`.
  std::optional<std::vector<uint64_t>> take_kernel_stack(int map_fd, int32_t id,
                                                         std::vector<int32_t>& to_delete);

  SamplerOptions opts_;
  profile_bpf* skel_ = nullptr;
  std::vector<int> perf_fds_;
  std::vector<bpf_link*> links_;
  bpf_link* exec_link_ = nullptr;
  uint64_t stacks_missing_ = 0;
  bool kernel_take_works_ = true;  // false once the kernel refused a lookup-and-delete

  std::unique_ptr<UnwindLoader> unwinder_;
  std::thread unwinder_thread_;
  std::mutex unwinder_mu_;
  std::condition_variable unwinder_cv_;
  bool stopping_ = false;
};

}  // namespace loupe::profile
