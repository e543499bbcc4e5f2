/* Shared by bench/bpf_parts.bpf.c and bench/bpf_parts.c. */
#ifndef LOUPE_BENCH_BPF_PARTS_H
#define LOUPE_BENCH_BPF_PARTS_H

#include <linux/types.h>

/* The header bytes before a data event's payload (struct loupe_data_event). */
#define PARTS_EVENT_HEADER 72

enum part {
  PART_NONE = 0,     /* filter only: the floor (bpf_stats' clock reads included) */
  PART_KTIME,        /* bpf_ktime_get_ns */
  PART_PID_TGID,     /* bpf_get_current_pid_tgid */
  PART_LRU_LOOKUP,   /* a hit in an LRU hash like socket_trace's conns */
  PART_HASH_LOOKUP,  /* the same in a plain hash */
  PART_READ_KERNEL,  /* bpf_probe_read_kernel of 8 bytes (one CO-RE read of the fd table) */
  PART_RB_QUERY,     /* bpf_ringbuf_query (the wakeup decision) */
  PART_READ_USER,    /* bpf_probe_read_user of size bytes into a per-CPU buffer */
  PART_RB_OUTPUT,    /* bpf_ringbuf_output of size bytes from that buffer */
  PART_READ_OUTPUT,  /* both: what socket_trace does today */
  PART_RB_RESERVE,   /* bpf_ringbuf_reserve of size bytes + submit, nothing copied */
  PART_RESERVE_READ, /* reserve + bpf_probe_read_user into it + submit */
  /* Exact-size reservations (parts_sys_exit_dynptr; kernels with the
   * bpf_probe_read_user_dynptr kfunc, 6.16+): */
  PART_DYNPTR_FLOOR,   /* filter only, in that program: its rows' floor */
  PART_DYNPTR_RESERVE, /* bpf_ringbuf_reserve_dynptr of size bytes + submit, nothing copied */
  PART_DYNPTR_READ,    /* that + bpf_probe_read_user_dynptr of size bytes into it */
  PART_DYNPTR_EVENT,   /* that + a data event's header written before the payload */
  PART_COUNT,
};

struct parts_cfg {
  __u32 mode;
  __u32 size;
  __u64 pid_tgid;
  __u64 buf;
  __u64 sink;
};

#endif
