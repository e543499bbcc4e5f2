// SPDX-License-Identifier: GPL-2.0
/* OOM kills as they happen: the raw tracepoint oom/mark_victim fires once
 * per process the OOM killer picks (a memory cgroup's limit or the whole
 * host), with the victim's task. A raw tracepoint needs neither kprobes nor
 * tracefs. The victim's cgroups are read from the task (it may not be the
 * task that ran out of memory), so a child killed inside a container that
 * keeps running is named too. */
// clang-format off: vmlinux.h must come first
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cgroup_id.bpf.h"
#include "oom_trace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 64 * 1024);
} oom_events SEC(".maps");

SEC("raw_tracepoint/mark_victim")
int loupe_mark_victim(struct bpf_raw_tracepoint_args* ctx) {
  struct task_struct* task = (struct task_struct*)ctx->args[0];
  struct loupe_oom_event* e = bpf_ringbuf_reserve(&oom_events, sizeof(*e), 0);
  if (!e) return 0;
  e->ktime_ns = bpf_ktime_get_ns();
  e->tgid = BPF_CORE_READ(task, tgid);
  e->pid = BPF_CORE_READ(task, pid);
  BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
  e->dfl_cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
  e->memory_cgroup_id = task_memory_cgroup_id(task);
  bpf_ringbuf_submit(e, 0);
  return 0;
}
