// SPDX-License-Identifier: GPL-2.0
/* TCP health from tracepoints only (raw tracepoints: no kprobes, no tracefs):
 *   sock/inet_sock_set_state   connects that succeed or fail, and closes
 *   tcp/tcp_retransmit_skb     retransmits
 *   tcp/tcp_send_reset         RSTs sent
 *   tcp/tcp_receive_reset      RSTs received
 * State changes after SYN_SENT run in softirq context, where the current
 * task is whoever was interrupted, so the owner is taken once, when the
 * connecting process moves the socket to SYN_SENT inside connect(), and kept
 * per socket until it closes.
 * Incoming connections: listen() moves a socket to LISTEN in the listening
 * process's context; its owner is kept per (network namespace, port). An
 * accepted connection's socket reaches ESTABLISHED from SYN_RECV in softirq
 * context and takes the owner of the listener on its namespace and local
 * port, so its retransmits, resets and close count for the server too. A
 * SYN to a port nobody listens on has no socket (the RST is sent for none):
 * that shows as the client's refused connect only. */
// clang-format off: vmlinux.h must come first
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cgroup_id.bpf.h"
#include "tcp_trace.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

const volatile __u32 self_tgid = 0; /* the agent's own connections are not reported */

struct owner {
  __u64 syn_ns; /* when SYN_SENT was entered; 0 once established */
  __u64 cgroup_id;
  __u32 tgid;
  char comm[LOUPE_TCP_COMM_LEN];
  __u8 incoming;
};

struct listener_key {
  __u64 net;  /* struct net *: the socket's network namespace */
  __u16 port; /* local port, host byte order */
  __u16 pad[3];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct listener_key);
  __type(value, struct owner);
} listeners SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* struct sock * */
  __type(value, struct owner);
} owners SEC(".maps");

#define TCP_EVENTS_BYTES (1 << 20) /* ~14,500 events */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, TCP_EVENTS_BYTES);
} tcp_events SEC(".maps");

/* The connecting task's memory cgroup, else its v2 cgroup. */
static __always_inline __u64 current_cgroup_id(void) {
  __u64 id = task_memory_cgroup_id((struct task_struct*)bpf_get_current_task());
  return id ? id : bpf_get_current_cgroup_id();
}

static __always_inline void emit(const struct sock* sk, const struct owner* o, __u8 kind,
                                 __u64 value) {
  struct loupe_tcp_event* e = bpf_ringbuf_reserve(&tcp_events, sizeof(*e), 0);
  if (!e) return;
  __builtin_memset(e, 0, sizeof(*e));
  e->kind = kind;
  e->value = value;
  if (o) {
    e->tgid = o->tgid;
    e->cgroup_id = o->cgroup_id;
    __builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
    e->incoming = o->incoming;
  }
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (family == AF_INET) {
    __u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(e->daddr, &d, 4);
    e->family = 4;
  } else {
    BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
    e->family = 6;
  }
  /* User space reads the events at its metrics tick (they are counted per
   * tick): woken only once a quarter of the ring is unread, not by every
   * connection of a busy host. */
  __u64 flags = bpf_ringbuf_query(&tcp_events, BPF_RB_AVAIL_DATA) >= TCP_EVENTS_BYTES / 4
                    ? BPF_RB_FORCE_WAKEUP
                    : BPF_RB_NO_WAKEUP;
  bpf_ringbuf_submit(e, flags);
}

static __always_inline struct listener_key listener_of(const struct sock* sk) {
  struct listener_key k = {};
  k.net = (__u64)BPF_CORE_READ(sk, __sk_common.skc_net.net);
  k.port = BPF_CORE_READ(sk, __sk_common.skc_num);
  return k;
}

/* The current task as an owner; false for the agent itself. */
static __always_inline int current_owner(struct owner* o) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid) return 0;
  o->cgroup_id = current_cgroup_id();
  o->tgid = tgid;
  bpf_get_current_comm(&o->comm, sizeof(o->comm));
  return 1;
}

/* listen() and the listener's close, in the listening process's context.
 * (LISTEN -> SYN_RECV is a new child socket cloned from the listener, in
 * softirq context: nothing to do.) */
static __always_inline void track_listener(const struct sock* sk, int oldstate, int newstate) {
  struct listener_key lk = listener_of(sk);
  if (newstate == TCP_LISTEN) {
    struct owner o = {.incoming = 1};
    if (current_owner(&o)) bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY);
  } else if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE) {
    /* Another process may listen on the port too (SO_REUSEPORT): only the
     * owner's own close forgets it. */
    struct owner* o = bpf_map_lookup_elem(&listeners, &lk);
    if (o && o->tgid == (__u32)(bpf_get_current_pid_tgid() >> 32))
      bpf_map_delete_elem(&listeners, &lk);
  }
}

SEC("raw_tracepoint/inet_sock_set_state")
int loupe_inet_sock_set_state(struct bpf_raw_tracepoint_args* ctx) {
  const struct sock* sk = (const struct sock*)ctx->args[0];
  int oldstate = (int)ctx->args[1], newstate = (int)ctx->args[2];
  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return 0;
  __u64 key = (__u64)sk;
  if (newstate == TCP_SYN_SENT) {
    struct owner o = {.syn_ns = bpf_ktime_get_ns()};
    if (current_owner(&o)) bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
    return 0;
  }
  if (newstate == TCP_LISTEN || oldstate == TCP_LISTEN) {
    track_listener(sk, oldstate, newstate);
    return 0;
  }
  if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
    struct listener_key lk = listener_of(sk);
    struct owner* l = bpf_map_lookup_elem(&listeners, &lk);
    if (!l) return 0;
    struct owner o = *l;
    bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
    emit(sk, &o, LOUPE_TCP_ACCEPTED, 0);
    return 0;
  }
  struct owner* o = bpf_map_lookup_elem(&owners, &key);
  if (!o) return 0;
  if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) {
    emit(sk, o, LOUPE_TCP_CONNECTED, bpf_ktime_get_ns() - o->syn_ns);
    o->syn_ns = 0;
  } else if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE) {
    emit(sk, o, LOUPE_TCP_CONNECT_FAILED, (__u64)BPF_CORE_READ(sk, sk_err));
    bpf_map_delete_elem(&owners, &key);
  } else if (oldstate == TCP_ESTABLISHED) {
    emit(sk, o, LOUPE_TCP_CLOSED, 0);
    if (newstate == TCP_CLOSE) bpf_map_delete_elem(&owners, &key); /* reset: no more states */
  } else if (newstate == TCP_CLOSE) {
    bpf_map_delete_elem(&owners, &key);
  }
  return 0;
}

SEC("raw_tracepoint/tcp_retransmit_skb")
int loupe_tcp_retransmit_skb(struct bpf_raw_tracepoint_args* ctx) {
  const struct sock* sk = (const struct sock*)ctx->args[0];
  __u64 key = (__u64)sk;
  emit(sk, bpf_map_lookup_elem(&owners, &key), LOUPE_TCP_RETRANSMIT, 0);
  return 0;
}

SEC("raw_tracepoint/tcp_send_reset")
int loupe_tcp_send_reset(struct bpf_raw_tracepoint_args* ctx) {
  const struct sock* sk = (const struct sock*)ctx->args[0];
  if (!sk) return 0; /* an RST for no socket (a closed port): the peer's failure */
  __u64 key = (__u64)sk;
  emit(sk, bpf_map_lookup_elem(&owners, &key), LOUPE_TCP_RESET_SENT, 0);
  return 0;
}

SEC("raw_tracepoint/tcp_receive_reset")
int loupe_tcp_receive_reset(struct bpf_raw_tracepoint_args* ctx) {
  const struct sock* sk = (const struct sock*)ctx->args[0];
  __u64 key = (__u64)sk;
  struct owner* o = bpf_map_lookup_elem(&owners, &key);
  /* A reset answering a SYN is a refused connect, reported as such. */
  if (o && o->syn_ns) return 0;
  emit(sk, o, LOUPE_TCP_RESET_RECEIVED, 0);
  return 0;
}
