// SPDX-License-Identifier: GPL-2.0
/* On-CPU stack sampling (see profile.h). Attached by user space to one
 * software CPU-clock perf event per CPU. Kernel stacks through the
 * kernel's frame-pointer walk; user stacks through .eh_frame rows the agent
 * loads (profile_unwind.bpf.h). */
// clang-format off: vmlinux.h must come first
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "profile.h"

#define EFAULT 14
#define EEXIST 17
#define ENOMEM 12
#define E2BIG 7

char LICENSE[] SEC("license") = "GPL";

/* Only this process (0: all), set before load. */
const volatile __u32 filter_tgid = 0;
/* The set of maps samples go to (0 or 1), flipped by user space. */
volatile __u32 active_set = 0;

struct stack_map {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, LOUPE_PROFILE_MAX_STACKS);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, LOUPE_PROFILE_MAX_DEPTH * sizeof(__u64));
};

struct counts_map {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LOUPE_PROFILE_MAX_COUNTS);
  __type(key, struct loupe_profile_key);
  __type(value, struct loupe_profile_value);
};

struct user_stack_map {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LOUPE_PROFILE_MAX_STACKS);
  __type(key, __u64); /* the stack's hash */
  __type(value, struct loupe_profile_user_stack);
};

struct stack_map stacks0 SEC(".maps");
struct stack_map stacks1 SEC(".maps");
struct user_stack_map user_stacks0 SEC(".maps");
struct user_stack_map user_stacks1 SEC(".maps");
struct counts_map counts0 SEC(".maps");
struct counts_map counts1 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, LOUPE_PROFILE_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} profile_stats SEC(".maps");

static __always_inline void stat_inc(__u32 which) {
  __u64* n = bpf_map_lookup_elem(&profile_stats, &which);
  if (n) *n += 1;
}

#include "profile_unwind.bpf.h"

/* A stack id, or NO_STACK when there is none to take, or LOST_STACK. */
static __always_inline __s32 stack_id(struct bpf_perf_event_data* ctx, void* stacks, __u64 flags) {
  long id = bpf_get_stackid(ctx, stacks, flags);
  if (id >= 0) return id;
  if (id == -EFAULT) return LOUPE_PROFILE_NO_STACK; /* no frames of this kind */
  stat_inc(id == -EEXIST || id == -ENOMEM ? LOUPE_PROFILE_STAT_STACKS_FULL
                                          : LOUPE_PROFILE_STAT_STACK_ERRORS);
  return LOUPE_PROFILE_LOST_STACK;
}

/* The key of the sampled user stack in `user_stacks` (stored there when
 * new), or NO_USER_STACK / LOST_USER_STACK. */
static __always_inline __u64 user_stack(struct bpf_perf_event_data* ctx, __u32 tgid,
                                        void* user_stacks) {
  __u32 zero = 0;
  struct loupe_profile_user_stack* s = bpf_map_lookup_elem(&user_scratch, &zero);
  if (!s) return LOUPE_PROFILE_LOST_USER_STACK;
  __u64 hash = 0;
  unwind_user(ctx, tgid, s, &hash);
  if (s->len == 0) return LOUPE_PROFILE_NO_USER_STACK;
  if (s->flags & LOUPE_PROFILE_STACK_TRUNCATED) stat_inc(LOUPE_PROFILE_STAT_UNWIND_TRUNCATED);
  hash = mix(hash, ((__u64)s->len << 32) | s->flags);
  if (hash <= LOUPE_PROFILE_LOST_USER_STACK) hash += 2; /* not a sentinel */
  if (bpf_map_lookup_elem(user_stacks, &hash)) return hash;
  long err = bpf_map_update_elem(user_stacks, &hash, s, BPF_NOEXIST);
  if (err == 0 || err == -EEXIST) return hash;
  stat_inc(err == -E2BIG || err == -ENOMEM ? LOUPE_PROFILE_STAT_STACKS_FULL
                                           : LOUPE_PROFILE_STAT_STACK_ERRORS);
  return LOUPE_PROFILE_LOST_USER_STACK;
}

static __always_inline void count(struct bpf_perf_event_data* ctx, __u32 tgid, void* stacks,
                                  void* user_stacks, void* counts) {
  struct loupe_profile_key key = {.tgid = tgid};
  key.user_stack = user_stack(ctx, tgid, user_stacks);
  key.kernel_stack_id = stack_id(ctx, stacks, 0);
  struct loupe_profile_value* v = bpf_map_lookup_elem(counts, &key);
  if (v) {
    __sync_fetch_and_add(&v->samples, 1);
    return;
  }
  struct loupe_profile_value fresh = {.samples = 1};
  bpf_get_current_comm(&fresh.comm, sizeof(fresh.comm));
  long err = bpf_map_update_elem(counts, &key, &fresh, BPF_NOEXIST);
  if (err == -EEXIST) { /* another CPU inserted it first */
    v = bpf_map_lookup_elem(counts, &key);
    if (v) __sync_fetch_and_add(&v->samples, 1);
  } else if (err) {
    stat_inc(LOUPE_PROFILE_STAT_COUNTS_FULL);
  }
}

SEC("perf_event")
int loupe_profile_sample(struct bpf_perf_event_data* ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == 0) return 0; /* the idle task: the CPU had nothing to run */
  if (filter_tgid && tgid != filter_tgid) return 0;
  stat_inc(LOUPE_PROFILE_STAT_SAMPLES);
  if (active_set & 1)
    count(ctx, tgid, &stacks1, &user_stacks1, &counts1);
  else
    count(ctx, tgid, &stacks0, &user_stacks0, &counts0);
  return 0;
}

/* An exec replaces every mapping of the process: its tables no longer
 * apply. The next sample asks for new ones. */
SEC("raw_tracepoint/sched_process_exec")
int loupe_profile_exec(struct bpf_raw_tracepoint_args* ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  bpf_map_delete_elem(&unwind_procs, &tgid);
  return 0;
}
