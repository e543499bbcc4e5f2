// SPDX-License-Identifier: GPL-2.0
/* For bench/sched_blame.c: how long the traced programs (targets: nginx's
 * worker, wrk) waited for a CPU while runnable, and how much of that wait
 * ended when one of Loupe's threads (culprits) gave the CPU up; how often a
 * culprit preempted a target. What a busy machine's load does not change:
 * whose CPU time stood between a request and its answer. */
// clang-format off: vmlinux.h must come first (the libbpf headers need its types)
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);    // tgid
  __type(value, u32);  // 1 target, 2 culprit
} roles SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, u32);    // tid of a target
  __type(value, u64);  // runnable since (ns)
} since SEC(".maps");

// [0] waits [1] wait ns [2] waits ended by a culprit [3] their ns
// [4] preemptions of a target by a culprit [5] waits ended by another task
// [6] their ns [7] waits ended by the idle task [8] their ns
// [9] waits ended by another target [10] their ns
// [16 + k] waits ended by a culprit of 2^k..2^(k+1) µs
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 32);
  __type(key, u32);
  __type(value, u64);
} counts SEC(".maps");

// Per task name (a thread's comm, e.g. loupe-pump, or the other programs'):
// kind 0: waits of a target that ended when this culprit thread gave up
// the CPU; kind 4: the same for any other task (a thread of another
// process may have a culprit's name: another Loupe on the host);
// kind 1: a culprit thread's runs that ended preempted (still runnable);
// kind 2: a culprit thread's runs that ended when it blocked;
// kind 3: preemptions of a target by this culprit thread.
// bucket k: 2^k..2^(k+1) µs (k 0: below 2 µs).
struct by_comm_key {
  char comm[16];
  u32 kind;
  u32 bucket;
};
struct by_comm_val {
  u64 n;
  u64 ns;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, struct by_comm_key);
  __type(value, struct by_comm_val);
} by_comm SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, u32);    // tid of a culprit
  __type(value, u64);  // on the CPU since (ns)
} oncpu SEC(".maps");

static u32 bucket_of(u64 ns) {
  u64 us = ns / 1000;
  u32 k = 0;
  while (us > 1 && k < 15) {
    us >>= 1;
    k++;
  }
  return k;
}
static void add_comm(struct task_struct* t, u32 kind, u64 ns) {
  struct by_comm_key key = {.kind = kind, .bucket = bucket_of(ns)};
  BPF_CORE_READ_STR_INTO(&key.comm, t, comm);
  struct by_comm_val* v = bpf_map_lookup_elem(&by_comm, &key);
  if (!v) {
    struct by_comm_val zero = {};
    bpf_map_update_elem(&by_comm, &key, &zero, BPF_NOEXIST);
    v = bpf_map_lookup_elem(&by_comm, &key);
    if (!v) return;
  }
  __sync_fetch_and_add(&v->n, 1);
  __sync_fetch_and_add(&v->ns, ns);
}

static u32 role(struct task_struct* t) {
  u32 tgid = BPF_CORE_READ(t, tgid);
  u32* r = bpf_map_lookup_elem(&roles, &tgid);
  return r ? *r : 0;
}
static void add(u32 k, u64 v) {
  u64* c = bpf_map_lookup_elem(&counts, &k);
  if (c) __sync_fetch_and_add(c, v);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct* p) {
  if (role(p) != 1) return 0;
  u32 tid = BPF_CORE_READ(p, pid);
  u64 now = bpf_ktime_get_ns();
  bpf_map_update_elem(&since, &tid, &now, BPF_ANY);
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
  u64 now = bpf_ktime_get_ns();
  u32 pr = role(prev), nr = role(next);
  if (pr == 2) {  // how long a thread of Loupe ran before it blocked or lost the CPU
    u32 tid = BPF_CORE_READ(prev, pid);
    u64* ts = bpf_map_lookup_elem(&oncpu, &tid);
    if (ts) {
      add_comm(prev, prev_state == 0 ? 1 : 2, now - *ts);
      bpf_map_delete_elem(&oncpu, &tid);
    }
  }
  if (nr == 2) {
    u32 tid = BPF_CORE_READ(next, pid);
    bpf_map_update_elem(&oncpu, &tid, &now, BPF_ANY);
  }
  if (pr == 1 && prev_state == 0) {  // preempted, still runnable
    u32 tid = BPF_CORE_READ(prev, pid);
    bpf_map_update_elem(&since, &tid, &now, BPF_ANY);
    if (nr == 2) {
      add(4, 1);
      add_comm(next, 3, 0);
    }
  }
  if (nr != 1) return 0;
  u32 tid = BPF_CORE_READ(next, pid);
  u64* ts = bpf_map_lookup_elem(&since, &tid);
  if (!ts) return 0;
  u64 wait = now - *ts;
  bpf_map_delete_elem(&since, &tid);
  add(0, 1);
  add(1, wait);
  add_comm(prev, pr == 2 ? 0 : 4, wait);
  if (pr == 2) {
    add(2, 1);
    add(3, wait);
    add(16 + bucket_of(wait), 1);
  } else if (pr == 1) {
    add(9, 1);
    add(10, wait);
  } else if (BPF_CORE_READ(prev, pid) == 0) {
    add(7, 1);
    add(8, wait);
  } else {
    add(5, 1);
    add(6, wait);
  }
  return 0;
}
