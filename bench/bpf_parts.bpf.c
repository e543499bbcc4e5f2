// SPDX-License-Identifier: GPL-2.0
/* The pieces a traced sys_exit of bpf/socket_trace.bpf.c is made of, one at
 * a time, for bench/bpf_parts.c: a sys_exit raw tracepoint that, for the
 * benchmark's own thread only, does the one piece `cfg.mode` names on a
 * user buffer of `cfg.size` bytes. Its bpf_stats ns/run minus that of mode
 * PART_NONE is what the piece costs on this machine. */
// The libbpf header needs the kernel types first.
// clang-format off
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
// clang-format on

char LICENSE[] SEC("license") = "GPL";

#include "bpf_parts.h"

#define MAX_SIZE 8192

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct parts_cfg);
} cfg SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 * 1024 * 1024);
} ring SEC(".maps");

/* Like socket_trace's conns: one entry, the benchmark's key. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, __u64[2]);
} lru SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, __u64[2]);
} hash SEC(".maps");

struct scratch_buf {
  __u8 b[2 * MAX_SIZE];
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch_buf);
} scratch SEC(".maps");

/* bpf_ringbuf_reserve takes a constant size: one call per size class. */
#define RESERVE_CASE(N)                                       \
  case N: {                                                   \
    __u8* r = bpf_ringbuf_reserve(&ring, N, 0);               \
    if (!r) return 0;                                         \
    if (copy) bpf_probe_read_user(r, N, (const void*)c->buf); \
    bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);                  \
    return 0;                                                 \
  }

static __always_inline int reserve(struct parts_cfg* c, int copy) {
  switch (c->size) {
    RESERVE_CASE(64)
    RESERVE_CASE(256)
    RESERVE_CASE(1024)
    RESERVE_CASE(4096)
    RESERVE_CASE(8192)
  }
  return 0;
}

SEC("raw_tracepoint/sys_exit")
int parts_sys_exit(void* ctx) {
  __u32 zero = 0;
  struct parts_cfg* c = bpf_map_lookup_elem(&cfg, &zero);
  if (!c || bpf_get_current_pid_tgid() != c->pid_tgid) return 0;
  __u32 n = c->size & (MAX_SIZE * 2 - 1);
  struct scratch_buf* s;
  switch (c->mode) {
    case PART_NONE:
      return 0;
    case PART_KTIME:
      c->sink += bpf_ktime_get_ns();
      return 0;
    case PART_PID_TGID:
      c->sink += bpf_get_current_pid_tgid();
      return 0;
    case PART_LRU_LOOKUP: {
      __u64 key = c->pid_tgid;
      if (bpf_map_lookup_elem(&lru, &key)) c->sink++;
      return 0;
    }
    case PART_HASH_LOOKUP: {
      __u64 key = c->pid_tgid;
      if (bpf_map_lookup_elem(&hash, &key)) c->sink++;
      return 0;
    }
    case PART_READ_KERNEL: {
      __u64 v = 0;
      bpf_probe_read_kernel(&v, sizeof(v), c);
      c->sink += v;
      return 0;
    }
    case PART_RB_QUERY:
      c->sink += bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
      return 0;
    case PART_READ_USER:
      s = bpf_map_lookup_elem(&scratch, &zero);
      if (!s || n == 0 || n > MAX_SIZE) return 0;
      bpf_probe_read_user(s->b, n, (const void*)c->buf);
      return 0;
    case PART_RB_OUTPUT:
      s = bpf_map_lookup_elem(&scratch, &zero);
      if (!s || n == 0 || n > MAX_SIZE) return 0;
      bpf_ringbuf_output(&ring, s->b, n, BPF_RB_NO_WAKEUP);
      return 0;
    case PART_READ_OUTPUT:
      s = bpf_map_lookup_elem(&scratch, &zero);
      if (!s || n == 0 || n > MAX_SIZE) return 0;
      bpf_probe_read_user(s->b, n, (const void*)c->buf);
      bpf_ringbuf_output(&ring, s->b, n, BPF_RB_NO_WAKEUP);
      return 0;
    case PART_RB_RESERVE:
      return reserve(c, 0);
    case PART_RESERVE_READ:
      return reserve(c, 1);
  }
  return 0;
}

/* Exact-size reservations: the size may be any value the ring holds, and
 * the payload is copied from user memory straight into the reservation by a
 * kfunc (6.16+). A program of its own so that bpf_parts can leave it out on
 * kernels without the kfunc (a call to a missing kfunc fails the load). */
extern int bpf_probe_read_user_dynptr(struct bpf_dynptr* dptr, __u32 off, __u32 size,
                                      const void* unsafe_ptr__ign) __ksym __weak;

SEC("raw_tracepoint/sys_exit")
int parts_sys_exit_dynptr(void* ctx) {
  __u32 zero = 0;
  struct parts_cfg* c = bpf_map_lookup_elem(&cfg, &zero);
  if (!c || bpf_get_current_pid_tgid() != c->pid_tgid || c->mode < PART_DYNPTR_FLOOR) return 0;
  if (c->mode == PART_DYNPTR_FLOOR) return 0;
  __u32 n = c->size & (MAX_SIZE * 2 - 1);
  __u32 head = c->mode == PART_DYNPTR_EVENT ? PARTS_EVENT_HEADER : 0;
  struct bpf_dynptr d;
  if (bpf_ringbuf_reserve_dynptr(&ring, head + n, 0, &d)) {
    bpf_ringbuf_discard_dynptr(&d, 0);
    return 0;
  }
  if (head) {
    __u64 h[PARTS_EVENT_HEADER / 8] = {c->pid_tgid, c->size};
    bpf_dynptr_write(&d, 0, h, sizeof(h), 0);
  }
  if (c->mode != PART_DYNPTR_RESERVE) bpf_probe_read_user_dynptr(&d, head, n, (const void*)c->buf);
  bpf_ringbuf_submit_dynptr(&d, BPF_RB_NO_WAKEUP);
  return 0;
}
