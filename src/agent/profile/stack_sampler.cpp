#include "agent/profile/stack_sampler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/profile/map_batch.h"
#include "agent/socket_tracer.h"  // AgentError
#include "core/burst_yield.h"
#include "core/thread_name.h"
#include "profile.skel.h"

namespace loupe::profile {
namespace {

int open_cpu_clock(int cpu, uint32_t hz) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = hz;
  return static_cast<int>(
      syscall(__NR_perf_event_open, &attr, /*pid=*/-1, cpu, /*group_fd=*/-1, PERF_FLAG_FD_CLOEXEC));
}

// Reads stack `id` of `map` (leaf first, zero-terminated when shorter than
// the maximum depth). False when the id is no longer there.
bool read_stack(int map_fd, int32_t id, std::vector<uint64_t>& out) {
  std::array<uint64_t, LOUPE_PROFILE_MAX_DEPTH> ips{};
  uint32_t key = static_cast<uint32_t>(id);
  if (bpf_map_lookup_elem(map_fd, &key, ips.data()) != 0) return false;
  for (uint64_t ip : ips) {
    if (ip == 0) break;
    out.push_back(ip);
  }
  return true;
}

// Reads user stack `key` of `map` into `s`. False when it is not there.
bool read_user_stack(int map_fd, uint64_t key, RawStack& s) {
  loupe_profile_user_stack stack{};
  if (bpf_map_lookup_elem(map_fd, &key, &stack) != 0) return false;
  uint32_t n = std::min<uint32_t>(stack.len, LOUPE_PROFILE_MAX_DEPTH);
  s.user.assign(stack.ips, stack.ips + n);
  s.user_truncated = (stack.flags & LOUPE_PROFILE_STACK_TRUNCATED) != 0;
  return true;
}

using UserStacks = std::unordered_map<uint64_t, loupe_profile_user_stack>;

// Takes every user stack of `fd` (a hash map by the stack's hash) a batch
// at a time, emptying it: one syscall per 64 stacks, where a lookup per
// stack and a walk and a delete per key to empty it took three (each also
// through the capture's sys_exit program; ~170 stacks a round on a busy
// host, docs/benchmarks.md "issue 14, profpaced"). False when the kernel
// refused: what is left is read one key at a time.
bool take_user_stacks(int fd, UserStacks& out) {
  return read_map_batched<uint64_t, loupe_profile_user_stack, 64>(
      fd, BatchRead::kDelete,
      [&out](uint64_t key, const loupe_profile_user_stack& stack) { out.emplace(key, stack); });
}

// How often the unwinder thread looks for processes the program asked
// tables for: a new process is walked by frame pointers until then. While
// none was ready to load (a host whose programs all have their tables, the
// usual case), once a second: each wakeup costs tens of µs of CPU on a
// paravirtualized VM, and an idle agent's unwinder woke five times a second
// for nothing (docs/benchmarks.md, "issue 14, agentfixed").
constexpr auto kUnwinderPollEvery = std::chrono::milliseconds(200);
constexpr auto kUnwinderQuietPollEvery = std::chrono::milliseconds(1000);

template <typename Key>
void clear_map(int fd) {
  // Keys first, deletes after: deleting the key get_next_key stands on
  // would restart the walk.
  std::vector<Key> keys;
  Key key{};
  const Key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &key) == 0) {
    keys.push_back(key);
    prev = &keys.back();
  }
  for (const Key& k : keys) bpf_map_delete_elem(fd, &k);
}

using Count = std::pair<loupe_profile_key, loupe_profile_value>;

// Takes the counts of `fd` (a hash map) a batch at a time: two syscalls
// per 512 stacks instead of four per stack (walk, look up, walk again,
// delete). False when the kernel refused: what is left is for the walk.
bool take_counts(int fd, std::vector<Count>& out) {
  return read_map_batched<loupe_profile_key, loupe_profile_value, 512>(
      fd, BatchRead::kDelete,
      [&out](const loupe_profile_key& k, const loupe_profile_value& v) { out.emplace_back(k, v); });
}

// The same one key at a time.
void walk_counts(int fd, std::vector<Count>& out) {
  loupe_profile_key key{}, next{};
  const loupe_profile_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    loupe_profile_value value{};
    if (bpf_map_lookup_elem(fd, &key, &value) == 0) out.emplace_back(key, value);
  }
  clear_map<loupe_profile_key>(fd);
}

}  // namespace

StackSampler::~StackSampler() {
  stop_unwinder();
  bpf_link__destroy(exec_link_);
  for (bpf_link* l : links_) bpf_link__destroy(l);
  for (int fd : perf_fds_) close(fd);
  profile_bpf__destroy(skel_);
}

void StackSampler::start() {
  if (opts_.hz == 0 || opts_.hz > 1000)
    throw AgentError("the profiling frequency must be 1..1000 Hz");
  skel_ = profile_bpf__open();
  if (!skel_)
    throw AgentError(std::string("opening the profiler's BPF program failed: ") + strerror(errno));
  skel_->rodata->filter_tgid = opts_.filter_tgid;
#if !defined(__x86_64__)
  // Frame pointers only (see profile_unwind.bpf.h): no room for rows.
  bpf_map__set_max_entries(skel_->maps.unwind_rows, 1);
#endif
  if (int err = profile_bpf__load(skel_))
    throw AgentError(std::string("loading the profiler's BPF program failed: ") + strerror(-err) +
                     ". Run as root (or with CAP_BPF and CAP_PERFMON)");
  start_unwinder();  // before the first sample: a --pid process is unwound from it
  int ncpu = libbpf_num_possible_cpus();
  int last_error = 0;
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    int fd = open_cpu_clock(cpu, opts_.hz);
    if (fd < 0) {  // an offline CPU (ENODEV) is not an error
      if (errno != ENODEV) last_error = errno;
      continue;
    }
    bpf_link* link = bpf_program__attach_perf_event(skel_->progs.loupe_profile_sample, fd);
    if (!link) {
      last_error = errno;
      close(fd);
      continue;
    }
    perf_fds_.push_back(fd);
    links_.push_back(link);
  }
  if (links_.empty())
    throw AgentError(std::string("no CPU accepted the profiler's perf event: ") +
                     strerror(last_error) +
                     ". Run as root (or with CAP_PERFMON), and check that "
                     "/proc/sys/kernel/perf_event_paranoid allows CPU-wide events");
}

void StackSampler::start_unwinder() {
#if defined(__x86_64__)
  // Without the exec hook a process's tables could outlive its exec:
  // frame pointers only then.
  exec_link_ = bpf_program__attach(skel_->progs.loupe_profile_exec);
  if (!exec_link_) return;
  UnwindMaps maps;
  maps.procs_fd = bpf_map__fd(skel_->maps.unwind_procs);
  maps.wanted_fd = bpf_map__fd(skel_->maps.unwind_wanted);
  maps.rows_fd = bpf_map__fd(skel_->maps.unwind_rows);
  maps.max_rows = bpf_map__max_entries(skel_->maps.unwind_rows);
  unwinder_ = std::make_unique<UnwindLoader>(maps);
  // The one process of `loupe profile --pid`: unwound from its first samples.
  if (opts_.filter_tgid) unwinder_->load_process(opts_.filter_tgid);
  unwinder_thread_ = std::thread([this] {
    name_this_thread("loupe-unwind");  // for top and bench/profile_overhead.sh
    // Building a large program's table takes tens of ms: stepped per FDE
    // (core/burst_yield.h).
    BurstYield bursts;
    install_burst_yield(&bursts);
    std::unique_lock lock(unwinder_mu_);
    auto every = kUnwinderPollEvery;
    while (!unwinder_cv_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      every = unwinder_->poll() ? kUnwinderPollEvery : kUnwinderQuietPollEvery;
      lock.lock();
    }
  });
#endif
}

void StackSampler::stop_unwinder() {
  {
    std::lock_guard lock(unwinder_mu_);
    stopping_ = true;
  }
  unwinder_cv_.notify_all();
  if (unwinder_thread_.joinable()) unwinder_thread_.join();
  unwinder_.reset();
}

std::vector<RawStack> StackSampler::drain() {
  std::vector<RawStack> out;
  if (!skel_) return out;
  uint32_t drained = skel_->bss->active_set & 1;
  // .bss is mmapped: the next sample writes to the other set. A program that
  // read the old value is still running for at most microseconds.
  __atomic_store_n(&skel_->bss->active_set, drained ^ 1, __ATOMIC_SEQ_CST);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));

  int counts_fd = bpf_map__fd(drained ? skel_->maps.counts1 : skel_->maps.counts0);
  int stacks_fd = bpf_map__fd(drained ? skel_->maps.stacks1 : skel_->maps.stacks0);
  int user_fd = bpf_map__fd(drained ? skel_->maps.user_stacks1 : skel_->maps.user_stacks0);
  std::vector<Count> counts;
  if (!take_counts(counts_fd, counts)) walk_counts(counts_fd, counts);
  UserStacks user_stacks;
  bool user_taken = take_user_stacks(user_fd, user_stacks);
  // Kernel stacks by id, each taken from the map once (counts of several
  // processes or user stacks share one); nullopt: not there.
  std::unordered_map<int32_t, std::optional<std::vector<uint64_t>>> kernel_stacks;
  std::vector<int32_t> kernel_ids;  // read but not deleted yet: deleted after
  for (const auto& [key, value] : counts) {
    RawStack s;
    s.tgid = key.tgid;
    s.comm.assign(value.comm, strnlen(value.comm, sizeof(value.comm)));
    s.samples = value.samples;
    s.user_lost = key.user_stack == LOUPE_PROFILE_LOST_USER_STACK;
    s.kernel_lost = key.kernel_stack_id == LOUPE_PROFILE_LOST_STACK;
    if (key.user_stack > LOUPE_PROFILE_LOST_USER_STACK) {
      bool found = false;
      if (auto it = user_stacks.find(key.user_stack); it != user_stacks.end()) {
        uint32_t n = std::min<uint32_t>(it->second.len, LOUPE_PROFILE_MAX_DEPTH);
        s.user.assign(it->second.ips, it->second.ips + n);
        s.user_truncated = (it->second.flags & LOUPE_PROFILE_STACK_TRUNCATED) != 0;
        found = true;
      } else if (!user_taken) {
        found = read_user_stack(user_fd, key.user_stack, s);
      }
      if (!found) {
        s.user_lost = true;
        ++stacks_missing_;
      }
    }
    if (key.kernel_stack_id >= 0) {
      auto [it, fresh] = kernel_stacks.try_emplace(key.kernel_stack_id);
      if (fresh) it->second = take_kernel_stack(stacks_fd, key.kernel_stack_id, kernel_ids);
      if (it->second) {
        s.kernel = *it->second;
      } else {
        s.kernel_lost = true;
        ++stacks_missing_;
      }
    }
    out.push_back(std::move(s));
  }
  // The stack map has no batch operations: ids read but not deleted with it
  // (a kernel without lookup-and-delete there) are deleted one by one, and
  // the map walked only for what is left (ids whose count did not fit the
  // counts map), instead of a walk step per id.
  for (int32_t id : kernel_ids) {
    uint32_t key = static_cast<uint32_t>(id);
    bpf_map_delete_elem(stacks_fd, &key);
  }
  uint32_t left = 0;
  if (bpf_map_get_next_key(stacks_fd, nullptr, &left) == 0) clear_map<uint32_t>(stacks_fd);
  if (!user_taken) clear_map<uint64_t>(user_fd);
  return out;
}

std::optional<std::vector<uint64_t>> StackSampler::take_kernel_stack(
    int map_fd, int32_t id, std::vector<int32_t>& to_delete) {
  std::vector<uint64_t> ips;
  if (kernel_take_works_) {
    std::array<uint64_t, LOUPE_PROFILE_MAX_DEPTH> raw{};
    uint32_t key = static_cast<uint32_t>(id);
    if (bpf_map_lookup_and_delete_elem(map_fd, &key, raw.data()) == 0) {
      for (uint64_t ip : raw) {
        if (ip == 0) break;
        ips.push_back(ip);
      }
      return ips;
    }
    if (errno == ENOENT) return std::nullopt;
    kernel_take_works_ = false;  // the kernel refuses it on stack-trace maps
  }
  if (!read_stack(map_fd, id, ips)) return std::nullopt;
  to_delete.push_back(id);
  return ips;
}

SamplerCounters StackSampler::counters() const {
  SamplerCounters out;
  out.stacks_missing = stacks_missing_;
  if (unwinder_) out.unwind = unwinder_->counters();
  if (!skel_) return out;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  for (uint32_t i = 0; i < LOUPE_PROFILE_STAT_MAX; ++i)
    if (bpf_map__lookup_elem(skel_->maps.profile_stats, &i, sizeof(i), per_cpu.data(),
                             per_cpu.size() * sizeof(uint64_t), 0) == 0)
      for (uint64_t v : per_cpu) out.v[i] += v;
  return out;
}

}  // namespace loupe::profile
