// SPDX-License-Identifier: GPL-2.0
/* Socket tracer: one BTF tracepoint on sys_exit.
 *
 * Why sys_exit only: on x86-64 and arm64 the syscall arguments are still in
 * the saved user registers when the syscall returns, so a single program at
 * exit sees the fd, the buffer (now filled, for reads) and the result. That
 * halves the program runs and saves an enter->exit map stash per call
 * (measured on this kernel: 0.92 of untraced nginx throughput for the bare
 * hook vs 0.80 for enter/exit pairs with a stash).
 *
 * Payload goes to a ring buffer without a wakeup per event; a wakeup is
 * forced only when unread data passes wakeup_bytes, and user space also
 * drains on a short timer. */
// clang-format off: vmlinux.h must come first (the libbpf headers and ours need its types)
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "socket_trace.h"
#include "syscall_numbers.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define DNS_PORT 53

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;   /* the agent itself: never traced */
const volatile __u32 filter_tgid = 0; /* 0 = every process */
const volatile __u8 filter_ports = 0; /* 1 = only connections with a port in port_filter */
const volatile __u32 capture_bytes = 4096;
const volatile __u64 wakeup_bytes = 256 * 1024;
const volatile __u8 trace_dns = 1; /* UDP port 53 */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024); /* resized by user space */
} events SEC(".maps");

/* (tgid << 32 | fd) -> connection. LRU so connections whose close we never
 * saw (dup2 over them, close_range) age out instead of filling the map. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, struct loupe_conn);
} conns SEC(".maps");

/* Ports to trace when filter_ports is set (local or remote), filled by user
 * space. Checked once per connection, when it is first seen. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LOUPE_MAX_FILTER_PORTS);
  __type(key, __u16);
  __type(value, __u8);
} port_filter SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, LOUPE_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* Staging area for one data event: too big for the 512-byte stack. Twice
 * LOUPE_MAX_CAPTURE so that "offset < MAX && len < MAX" is provably in
 * bounds for the verifier while copying iovecs one after another. */
struct data_scratch {
  struct loupe_data_event ev;
  __u8 payload[2 * LOUPE_MAX_CAPTURE];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct data_scratch);
} scratch SEC(".maps");

static __always_inline void count(__u32 stat) {
  __u64* v = bpf_map_lookup_elem(&stats, &stat);
  if (v) *v += 1;
}

static __always_inline __u64 conn_key(__u32 tgid, int fd) {
  return ((__u64)tgid << 32) | (__u32)fd;
}

static __always_inline __u64 rb_flags(void) {
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
                                                                       : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(void* data, __u64 size) {
  if (bpf_ringbuf_output(&events, data, size, rb_flags()) != 0) count(LOUPE_STAT_RB_DROPS);
}

/* The struct sock behind fd in the current task, or NULL when fd is not a
 * socket. Reads the fd table with CO-RE; no kprobe needed. */
static __always_inline struct socket* fd_to_socket(int fd) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* file = NULL;
  if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file) return NULL;
  umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK) return NULL;
  return (struct socket*)BPF_CORE_READ(file, private_data);
}

static __always_inline void read_tuple(struct sock* sk, struct loupe_addr* local,
                                       struct loupe_addr* remote) {
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  local->family = remote->family = family;
  local->port = BPF_CORE_READ(sk, __sk_common.skc_num);
  remote->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (family == AF_INET) {
    __u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(local->addr, &l, 4);
    __builtin_memcpy(remote->addr, &r, 4);
  } else {
    BPF_CORE_READ_INTO(&local->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
    BPF_CORE_READ_INTO(&remote->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
  }
}

/* Decides whether a socket is traced and, if so, records it and emits OPEN.
 * Returns the stored connection (ignored sockets are stored too, so the
 * next call on them costs one lookup). */
static __always_inline struct loupe_conn* track(__u32 tgid, int fd, __u8 origin) {
  struct socket* sock = fd_to_socket(fd);
  if (!sock) return NULL;
  struct sock* sk = BPF_CORE_READ(sock, sk);
  if (!sk) return NULL;

  struct loupe_open_event ev = {};
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  __u16 type = BPF_CORE_READ(sock, type);
  struct loupe_conn conn = {.gen = bpf_ktime_get_ns(), .origin = origin, .sock_type = (__u8)type};
  conn.ignored = 1;
  if (family == AF_INET || family == AF_INET6) {
    read_tuple(sk, &ev.local, &ev.remote);
    if (type == SOCK_STREAM)
      conn.ignored = 0;
    else if (type == SOCK_DGRAM && trace_dns)
      /* Connected resolvers have the peer here; unconnected DNS servers are
       * recognised by their local port, and clients by the per-datagram
       * address checked in the data path. */
      conn.ignored =
          !(ev.remote.port == DNS_PORT || ev.local.port == DNS_PORT || ev.remote.port == 0);
    if (filter_ports && !bpf_map_lookup_elem(&port_filter, &ev.local.port) &&
        !bpf_map_lookup_elem(&port_filter, &ev.remote.port))
      conn.ignored = 1;
  }
  __u64 key = conn_key(tgid, fd);
  bpf_map_update_elem(&conns, &key, &conn, BPF_ANY);
  if (conn.ignored) return bpf_map_lookup_elem(&conns, &key);

  ev.h.type = LOUPE_EV_OPEN;
  ev.h.origin = origin;
  ev.h.sock_type = (__u8)type;
  ev.h.tgid = tgid;
  ev.h.tid = (__u32)bpf_get_current_pid_tgid();
  ev.h.fd = fd;
  ev.h.gen = conn.gen;
  ev.h.ts_ns = conn.gen;
  /* The process's name (its main thread's), not this thread's: a resolver
   * thread "isc-net-0000" belongs to "dig". */
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  BPF_CORE_READ_STR_INTO(&ev.comm, task, group_leader, comm);
  emit(&ev, sizeof(ev));
  return bpf_map_lookup_elem(&conns, &key);
}

/* Copies up to `len` bytes from user `src` at payload offset `off`.
 * Returns bytes copied. */
static __always_inline __u32 copy_chunk(struct data_scratch* s, __u32 off, const void* src,
                                        __u64 len) {
  if (off >= capture_bytes || off >= LOUPE_MAX_CAPTURE) return 0;
  __u64 room = capture_bytes - off;
  __u32 n = len < room ? (__u32)len : (__u32)room;
  /* The compiler knows off < LOUPE_MAX_CAPTURE from the test above and
   * drops the mask; the verifier, which cannot follow off through the
   * iovec loop as precisely, needs it. */
  barrier_var(off);
  off &= LOUPE_MAX_CAPTURE - 1;
  n &= 2 * LOUPE_MAX_CAPTURE - 1;
  if (n == 0 || n > LOUPE_MAX_CAPTURE) return 0;
  if (bpf_probe_read_user(&s->payload[off], n, src)) {
    count(LOUPE_STAT_READ_ERRORS);
    return 0;
  }
  return n;
}

/* Copies the first `total` bytes spread over a user iovec array into this
 * CPU's scratch payload, up to LOUPE_MAX_IOV entries (RabbitMQ writes about
 * two per delivered message, gRPC's C core ~26 in its first sendmsg).
 * Returns the bytes copied.
 * A global function: the verifier checks it once, with unknown arguments,
 * instead of once for every path that reaches it (which, with dozens of
 * entries, exceeds its million-instruction budget). Its arguments are
 * scalars only, as every kernel with global functions (5.6+) accepts. */
__noinline __u32 copy_iov(__u64 iov_addr, __u64 iovcnt, __u64 total) {
  __u32 zero = 0;
  struct data_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  const struct iovec* iov = (const struct iovec*)iov_addr;
  __u32 off = 0;
  __u64 left = total;
  for (int i = 0; i < LOUPE_MAX_IOV; i++) {
    if (i >= iovcnt || left == 0 || off >= LOUPE_MAX_CAPTURE) break;
    /* A no-op for the program; for the verifier it makes off the same
     * range on every path into this entry (an empty entry leaves off as
     * it was, a copied one moves it), so it follows one path per entry
     * instead of one per combination of earlier outcomes. */
    barrier_var(off);
    off &= LOUPE_MAX_CAPTURE - 1;
    struct iovec v;
    if (bpf_probe_read_user(&v, sizeof(v), &iov[i])) break;
    __u64 take = v.iov_len < left ? v.iov_len : left;
    __u32 got = copy_chunk(s, off, v.iov_base, take);
    off += got;
    if (got < take) break;
    left -= take;
  }
  return off;
}

static __always_inline void read_sockaddr(const void* uaddr, struct loupe_addr* out) {
  if (!uaddr) return;
  struct sockaddr_in6 sa = {};
  if (bpf_probe_read_user(&sa, sizeof(sa), uaddr)) return;
  out->family = sa.sin6_family;
  out->port = bpf_ntohs(sa.sin6_port);
  if (sa.sin6_family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)&sa;
    __builtin_memcpy(out->addr, &in->sin_addr.s_addr, 4);
  } else if (sa.sin6_family == AF_INET6) {
    __builtin_memcpy(out->addr, sa.sin6_addr.in6_u.u6_addr8, 16);
  } else {
    out->family = 0;
  }
}

struct data_args {
  int fd;
  __u8 dir;
  const void* buf;         /* plain buffer, or NULL */
  const struct iovec* iov; /* or an iovec array */
  __u64 iovcnt;
  const void* peer; /* user sockaddr of the datagram, or NULL */
  __u64 length;     /* bytes moved */
  int bytes_only;   /* sendfile: count, no payload */
};

static __noinline int emit_data(struct data_args* a) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  __u64 key = conn_key(tgid, a->fd);
  struct loupe_conn* conn = bpf_map_lookup_elem(&conns, &key);
  if (!conn) conn = track(tgid, a->fd, LOUPE_ORIGIN_INFERRED);
  /* TLS: the plaintext comes from the SSL uprobes; never emit ciphertext. */
  if (!conn || conn->ignored || conn->tls) return 0;

  __u32 zero = 0;
  struct data_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  struct loupe_data_event* ev = &s->ev;
  ev->h.type = LOUPE_EV_DATA;
  ev->h.dir = a->dir;
  ev->h.origin = conn->origin;
  ev->h.sock_type = conn->sock_type;
  ev->h.tgid = tgid;
  ev->h.tid = (__u32)pid_tgid;
  ev->h.fd = a->fd;
  ev->h.gen = conn->gen;
  ev->h.ts_ns = bpf_ktime_get_ns();
  ev->length = a->length;
  ev->flags = 0;
  ev->_pad = 0;
  __builtin_memset(&ev->peer, 0, sizeof(ev->peer));
  if (conn->sock_type == SOCK_DGRAM) {
    read_sockaddr(a->peer, &ev->peer);
    /* An unconnected UDP socket: trace only DNS datagrams. */
    if (ev->peer.family && ev->peer.port != DNS_PORT) {
      struct socket* sock = fd_to_socket(a->fd);
      struct sock* sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
      if (!sk || BPF_CORE_READ(sk, __sk_common.skc_num) != DNS_PORT) return 0;
    }
  }

  __u32 captured = 0;
  if (!a->bytes_only) {
    if (a->buf)
      captured = copy_chunk(s, 0, a->buf, a->length);
    else if (a->iov)
      captured = copy_iov((__u64)a->iov, a->iovcnt, a->length);
  }
  if (captured < a->length && !a->bytes_only) count(LOUPE_STAT_TRUNCATED);
  ev->captured = captured;
  __u64 size = sizeof(*ev) + (captured & (2 * LOUPE_MAX_CAPTURE - 1));
  if (size > sizeof(*s)) return 0;
  emit(s, size);
  return 0;
}

static __always_inline void emit_simple(__u8 type, __u32 tgid, int fd, __u64 gen) {
  struct loupe_event_header h = {};
  h.type = type;
  h.tgid = tgid;
  h.tid = (__u32)bpf_get_current_pid_tgid();
  h.fd = fd;
  h.gen = gen;
  h.ts_ns = bpf_ktime_get_ns();
  emit(&h, sizeof(h));
}

static __noinline int handle_close(int fd) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  __u64 key = conn_key(tgid, fd);
  struct loupe_conn* conn = bpf_map_lookup_elem(&conns, &key);
  if (!conn) return 0;
  if (!conn->ignored) emit_simple(LOUPE_EV_CLOSE, tgid, fd, conn->gen);
  bpf_map_delete_elem(&conns, &key);
  return 0;
}

static __noinline int handle_new_conn(int fd, __u8 origin) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  __u64 key = conn_key(tgid, fd);
  /* A stale entry for a reused fd (its close was missed) is replaced. */
  struct loupe_conn* old = bpf_map_lookup_elem(&conns, &key);
  if (old && !old->ignored) emit_simple(LOUPE_EV_CLOSE, tgid, fd, old->gen);
  track(tgid, fd, origin);
  return 0;
}

/* sendmsg/recvmsg: walk the user msghdr.
 * Not inlined: its msghdr and arguments (112 bytes) would sit in
 * loupe_sys_exit's frame under every call chain, and the deepest one
 * (sys_exit -> handle_mmsg -> emit_data -> copy_iov) then came to 560
 * bytes of stack against the verifier's 512 (16-byte rounded frames:
 * 192 + 128 + 176 + 64), which Linux 6.18.44 refuses while earlier
 * kernels, not counting the global copy_iov's frame, loaded it. Now 448. */
static __noinline int handle_msg(int fd, __u8 dir, const struct user_msghdr* umsg, __u64 len) {
  struct user_msghdr m;
  if (bpf_probe_read_user(&m, sizeof(m), umsg)) return 0;
  struct data_args a = {.fd = fd,
                        .dir = dir,
                        .iov = m.msg_iov,
                        .iovcnt = m.msg_iovlen,
                        .peer = m.msg_name,
                        .length = len};
  return emit_data(&a);
}

/* sendmmsg/recvmmsg: ret is the number of messages; each has its length. */
static __noinline int handle_mmsg(int fd, __u8 dir, const struct mmsghdr* vec, __u64 nmsgs) {
#pragma unroll
  for (int i = 0; i < LOUPE_MAX_MMSG; i++) {
    if (i >= nmsgs) break;
    struct mmsghdr mm;
    if (bpf_probe_read_user(&mm, sizeof(mm), &vec[i])) break;
    struct data_args a = {.fd = fd,
                          .dir = dir,
                          .iov = mm.msg_hdr.msg_iov,
                          .iovcnt = mm.msg_hdr.msg_iovlen,
                          .peer = mm.msg_hdr.msg_name,
                          .length = mm.msg_len};
    emit_data(&a);
  }
  return 0;
}

/* In this order (each uses what comes before it): not sorted. */
// clang-format off
#include "ssl_trace.bpf.h" /* SSL uprobes; needs the helpers above */
#include "go_tls.bpf.h"    /* Go crypto/tls uprobes; needs ssl_trace.bpf.h */
#include "exec_trace.bpf.h" /* exec events for the TLS tracer's rescans */
// clang-format on

/* tp_btf, not raw_tracepoint: `regs` is a typed pointer the program loads
 * from directly (a raw tracepoint needs a bpf_probe_read_kernel call for the
 * syscall number of every syscall on the host, and a copy of the registers
 * for the arguments). */
SEC("tp_btf/sys_exit")
int BPF_PROG(loupe_sys_exit, struct pt_regs* regs, long ret) {
  long nr = LOUPE_SYSCALL_NR(regs);

  /* The cheapest possible exit for the ~all syscalls we do not trace. */
  if (!loupe_is_traced_syscall(nr)) return 0;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid || (filter_tgid && tgid != filter_tgid)) return 0;

  int fd = (int)LOUPE_SYSCALL_ARG1(regs);
  if (nr == LOUPE_NR_close) return ret == 0 ? handle_close(fd) : 0;
  if (nr == LOUPE_NR_accept || nr == LOUPE_NR_accept4)
    return ret >= 0 ? handle_new_conn((int)ret, LOUPE_ORIGIN_ACCEPT) : 0;
  if (nr == LOUPE_NR_connect)
    return (ret == 0 || ret == -EINPROGRESS) ? handle_new_conn(fd, LOUPE_ORIGIN_CONNECT) : 0;
  const void* arg2 = (const void*)LOUPE_SYSCALL_ARG2(regs);
  __u64 arg3 = LOUPE_SYSCALL_ARG3(regs);
  /* A read/write made by OpenSSL inside SSL_read/SSL_write: ciphertext. */
  if (tls_probes_attached && nr != LOUPE_NR_sendfile &&
      ssl_thread_seen((__u32)bpf_get_current_pid_tgid())) {
    /* OpenSSL's socket BIO writes with write(2); sendto for datagrams. */
    const void* wbuf = nr == LOUPE_NR_write || nr == LOUPE_NR_sendto ? arg2 : NULL;
    if (loupe_ssl_syscall(bpf_get_current_pid_tgid(), fd, ret, wbuf, arg3)) return 0;
  }
  if (ret <= 0) return 0;

  /* The recv calls skip MSG_PEEK: it leaves the bytes queued, they come
   * again with the real read, and seen twice they would break the stream
   * (curl peeks one byte before reusing a connection). recvmsg takes its
   * flags third, recvfrom and recvmmsg fourth. */
  struct data_args a = {.fd = fd, .length = (__u64)ret};
  switch (nr) {
    case LOUPE_NR_read:
    case LOUPE_NR_recvfrom:
      if (nr == LOUPE_NR_recvfrom) {
        if (LOUPE_SYSCALL_ARG4(regs) & LOUPE_MSG_PEEK) return 0;
        a.peer = (const void*)LOUPE_SYSCALL_ARG5(regs);
      }
      a.dir = LOUPE_DIR_INGRESS;
      a.buf = arg2;
      return emit_data(&a);
    case LOUPE_NR_write:
    case LOUPE_NR_sendto:
      a.dir = LOUPE_DIR_EGRESS;
      a.buf = arg2;
      if (nr == LOUPE_NR_sendto) a.peer = (const void*)LOUPE_SYSCALL_ARG5(regs);
      return emit_data(&a);
    case LOUPE_NR_readv:
    case LOUPE_NR_writev:
      a.dir = nr == LOUPE_NR_readv ? LOUPE_DIR_INGRESS : LOUPE_DIR_EGRESS;
      a.iov = (const struct iovec*)arg2;
      a.iovcnt = arg3;
      return emit_data(&a);
    case LOUPE_NR_recvmsg:
      if (arg3 & LOUPE_MSG_PEEK) return 0;
      return handle_msg(fd, LOUPE_DIR_INGRESS, (const struct user_msghdr*)arg2, (__u64)ret);
    case LOUPE_NR_sendmsg:
      return handle_msg(fd, LOUPE_DIR_EGRESS, (const struct user_msghdr*)arg2, (__u64)ret);
    case LOUPE_NR_recvmmsg:
      if (LOUPE_SYSCALL_ARG4(regs) & LOUPE_MSG_PEEK) return 0;
      return handle_mmsg(fd, LOUPE_DIR_INGRESS, (const struct mmsghdr*)arg2, (__u64)ret);
    case LOUPE_NR_sendmmsg:
      return handle_mmsg(fd, LOUPE_DIR_EGRESS, (const struct mmsghdr*)arg2, (__u64)ret);
    case LOUPE_NR_sendfile:
      /* sendfile(out_fd, in_fd, ...): bytes written to out_fd, no payload. */
      a.dir = LOUPE_DIR_EGRESS;
      a.bytes_only = 1;
      return emit_data(&a);
  }
  return 0;
}

/* Process exit: user space drops the process's connections (their closes
 * are implicit). Only when the whole thread group is gone. */
SEC("raw_tracepoint/sched_process_exit")
int loupe_process_exit(struct bpf_raw_tracepoint_args* ctx) {
  struct task_struct* task = (struct task_struct*)ctx->args[0];
  /* Every thread: one that dies inside an SSL call (killed while blocked in
   * SSL_read) never runs its uretprobe, and its entry would stay active;
   * the next thread given the same id would then have its socket syscalls
   * swallowed as ciphertext, uncounted. Runs in the exiting thread. */
  if (tls_probes_attached) {
    __u64 id = bpf_get_current_pid_tgid();
    if (ssl_thread_seen((__u32)id)) bpf_map_delete_elem(&ssl_calls, &id);
  }
  if (BPF_CORE_READ(task, signal, live.counter) != 0) return 0;
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (tgid == self_tgid || (filter_tgid && tgid != filter_tgid)) return 0;
  struct loupe_event_header h = {};
  h.type = LOUPE_EV_PROC_EXIT;
  h.tgid = tgid;
  h.fd = -1;
  h.ts_ns = bpf_ktime_get_ns();
  emit(&h, sizeof(h));
  return 0;
}
