/* Events of tcp_trace.bpf.c, shared with user space (src/agent/metrics/tcp_tracer.*). */
#ifndef LOUPE_TCP_TRACE_H
#define LOUPE_TCP_TRACE_H

#define LOUPE_TCP_COMM_LEN 16

enum loupe_tcp_kind {
  LOUPE_TCP_CONNECTED = 1,  /* SYN_SENT -> ESTABLISHED; value = connect time (ns) */
  LOUPE_TCP_CONNECT_FAILED, /* SYN_SENT -> CLOSE; value = sk_err (ECONNREFUSED, ETIMEDOUT...) */
  LOUPE_TCP_CLOSED,         /* an established outgoing connection left ESTABLISHED */
  LOUPE_TCP_RETRANSMIT,     /* a segment retransmitted */
  LOUPE_TCP_RESET_SENT,     /* an RST sent on a socket */
  LOUPE_TCP_RESET_RECEIVED, /* an RST received on a socket */
  LOUPE_TCP_ACCEPTED,       /* SYN_RECV -> ESTABLISHED on a port a known process listens on */
};

/* The owner is the process that called connect() on the socket (recorded
 * when it entered SYN_SENT, in that process's context), or for an accepted
 * connection the process that called listen() on its port in its network
 * namespace; tgid 0 for sockets Loupe did not see start (older than the
 * agent, or accepted on a listener older than the agent). */
struct loupe_tcp_event {
  __u64 value;
  __u64 cgroup_id; /* the owner's memory cgroup (inode), else its v2 cgroup; 0 unknown */
  __u32 tgid;
  __u8 kind;
  __u8 family; /* 4 or 6 */
  __u16 dport; /* host byte order */
  __u8 daddr[16];
  char comm[LOUPE_TCP_COMM_LEN];
  __u8 incoming; /* 1: an accepted connection (daddr/dport are the client's) */
  __u8 pad[7];
};

#endif
