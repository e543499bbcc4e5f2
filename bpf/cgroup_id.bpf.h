/* The id (directory inode) of a task's memory cgroup: the cgroup that holds
 * its memory limit and whose path names its pod and container, in every
 * mode (the v1 memory mount in hybrid mode, the v2 tree otherwise). 0 when
 * the kernel has no memory controller. Included by BPF programs after
 * vmlinux.h and the libbpf headers. */
#ifndef LOUPE_CGROUP_ID_BPF_H
#define LOUPE_CGROUP_ID_BPF_H

static __always_inline __u64 task_memory_cgroup_id(struct task_struct* task) {
  int memory = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
  if (memory < 0 || memory >= CGROUP_SUBSYS_COUNT) return 0;
  struct css_set* cset = BPF_CORE_READ(task, cgroups);
  struct cgroup_subsys_state* css = NULL;
  bpf_core_read(&css, sizeof(css), &cset->subsys[memory]);
  return css ? BPF_CORE_READ(css, cgroup, kn, id) : 0;
}

#endif
