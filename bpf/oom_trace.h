/* Events of oom_trace.bpf.c, shared with user space (src/agent/metrics/oom_tracer.*). */
#ifndef LOUPE_OOM_TRACE_H
#define LOUPE_OOM_TRACE_H

#define LOUPE_OOM_COMM_LEN 16

/* One process chosen by the OOM killer. The cgroup ids are the inode
 * numbers of the victim's cgroup directories: in the v2 tree, and in the
 * hierarchy of its memory controller (the v1 memory mount in hybrid mode). */
struct loupe_oom_event {
  __u64 ktime_ns;
  __u64 dfl_cgroup_id;
  __u64 memory_cgroup_id;
  __u32 tgid;
  __u32 pid;
  char comm[LOUPE_OOM_COMM_LEN];
};

#endif
