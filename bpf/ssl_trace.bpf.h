/* TLS plaintext from OpenSSL uprobes. Included by socket_trace.bpf.c (after
 * its helpers, before its sys_exit program), so both share one object and
 * therefore the `events`, `conns`, `stats` and `scratch` maps natively: no
 * second skeleton and no map fd reuse to keep in sync.
 *
 * How a plaintext buffer is tied to its socket without OpenSSL struct
 * offsets (works for 1.1, 3.x and static copies alike):
 *   1. uprobe on SSL_read/SSL_write/SSL_read_ex/SSL_write_ex/SSL_do_handshake
 *      stores "this thread is inside an SSL call" (buffer, direction) in
 *      ssl_calls, keyed by pid_tgid.
 *   2. The read/write syscall OpenSSL makes while the call runs reaches the
 *      sys_exit program on the same thread: loupe_ssl_syscall() records the
 *      fd in the call, marks the connection `tls` in `conns` (from then on
 *      its ciphertext is never emitted) and swallows the event.
 *   3. SSL_read: the uretprobe reads the now-filled buffer and emits a DATA
 *      event with LOUPE_DATA_F_TLS for (tgid, fd, gen). When the call made
 *      no syscall (SSL_read served from OpenSSL's buffered record) the fd
 *      learnt for the same SSL* earlier is used (ssl_fds).
 *   4. SSL_write has no uretprobe (a trap pair costs ~3 us here, and nginx
 *      makes three probed calls per request): its buffer and length are
 *      known at entry, so the plaintext is emitted by the first successful
 *      write syscall the call makes on the fd known for its SSL*. A call
 *      whose last write was short or would block is retried by the
 *      application with the same bytes (or, with partial writes, the rest
 *      of them): that next SSL_write on the SSL* is not emitted again.
 *      While the SSL*'s fd is not known yet (the handshake runs inside a
 *      client's first SSL_write), the call's write is the first write(2)
 *      whose bytes are a TLS record; any other syscall ends the call.
 * SSL_do_handshake is probed only to mark the connection (and learn the
 * SSL* -> fd pair) before the first application byte, so handshake records
 * are never mistaken for an unknown protocol. */
#ifndef LOUPE_SSL_TRACE_BPF_H
#define LOUPE_SSL_TRACE_BPF_H

/* Set by user space once a library has its probes attached: until then
 * the sys_exit hot path does not even look at ssl_calls (nor, after, for
 * threads that never entered an SSL call: ssl_threads). */
volatile __u32 tls_probes_attached = 0;

enum loupe_ssl_kind {
  LOUPE_SSL_READ = 0,
  LOUPE_SSL_WRITE = 1,
  LOUPE_SSL_HANDSHAKE = 2,
};

/* The SSL call in flight on a thread (active), or the thread's last one.
 * The probed functions do not call each other in OpenSSL 1.1/3.x, so there
 * is no nesting to track: an entry simply replaces whatever a lost
 * uretprobe may have left behind. Entries are reused, not deleted, so a
 * busy thread costs two lookups per call instead of an insert and a delete
 * (measured: the return program went from ~850 to ~600 ns a run). */
struct loupe_ssl_call {
  __u64 ssl;     /* the SSL* argument */
  __u64 buf;     /* user buffer (arg 2) */
  __u64 len_ptr; /* _ex variants: size_t *readbytes / *written (arg 4) */
  __u64 num;     /* SSL_write: bytes to write (arg 3) */
  /* Exit time of the call's last socket syscall: the moment bytes really
   * moved, as for plaintext. The uretprobe fires later, after decryption
   * and often after the peer already ran (the write woke it). */
  __u64 syscall_ts;
  __s32 fd;       /* socket seen by the syscall hook, -1 until then */
  __s32 known_fd; /* SSL_write: the SSL*'s socket from ssl_fds, -1 when unknown */
  __u8 kind;      /* enum loupe_ssl_kind */
  __u8 ex;
  __u8 active;
  __u8 emitted; /* SSL_write: plaintext sent (or a retry of sent plaintext) */
};

struct loupe_ssl_key {
  __u64 ssl;
  __u32 tgid;
  __u32 _pad;
};

/* pid_tgid -> call in flight. LRU: entries of threads that died inside an
 * SSL call age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct loupe_ssl_call);
} ssl_calls SEC(".maps");

/* One bit per thread id, set when the thread first enters a probed SSL
 * call and never cleared: a thread whose bit is clear has no SSL call in
 * flight, so sys_exit skips the ssl_calls lookup for it (the syscalls of
 * plaintext servers and clients, most of a host's traced syscalls, even
 * while libssl is attached). A stale bit (a thread id reused) only costs
 * that lookup. Thread ids are below PID_MAX_LIMIT (4M on 64-bit). Bits are
 * set with an atomic add, not or (BPF_XADD, every kernel Loupe supports):
 * only the thread itself sets its bit, once, so adds of distinct bits
 * never carry. */
#define LOUPE_MAX_TID (4 * 1024 * 1024)
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, LOUPE_MAX_TID / 64);
  __type(key, __u32);
  __type(value, __u64);
} ssl_threads SEC(".maps");

/* Whether thread `tid` may be inside an SSL call (see ssl_threads). */
static __always_inline int ssl_thread_seen(__u32 tid) {
  if (tid >= LOUPE_MAX_TID) return 1;
  __u32 word = tid / 64;
  __u64* w = bpf_map_lookup_elem(&ssl_threads, &word);
  return !w || ((*w >> (tid % 64)) & 1);
}

static __always_inline void ssl_thread_mark(__u32 tid) {
  if (tid >= LOUPE_MAX_TID) return;
  __u32 word = tid / 64;
  __u64* w = bpf_map_lookup_elem(&ssl_threads, &word);
  __u64 bit = 1ULL << (tid % 64);
  if (w && !(*w & bit)) __sync_fetch_and_add(w, bit);
}

/* What is known about one SSL*: its socket, and whether its last
 * SSL_write ended unfinished (short or would-block write), so the next one
 * is the application's retry of bytes already emitted. */
struct loupe_ssl_state {
  __s32 fd;
  __u32 write_unfinished;
};

/* (tgid, SSL*) -> state: the fd is the fallback for calls that make no
 * syscall. LRU: SSL objects are freed without a probe telling us. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct loupe_ssl_key);
  __type(value, struct loupe_ssl_state);
} ssl_fds SEC(".maps");

/* The traced connection (tgid, fd), marked TLS: from now on its ciphertext
 * is never emitted. NULL when fd is not a traced socket (a BIO over a pipe,
 * a UNIX socket): it is left alone. */
static __always_inline struct loupe_conn* tls_conn(__u32 tgid, int fd) {
  __u64 key = conn_key(tgid, fd);
  struct loupe_conn* conn = bpf_map_lookup_elem(&conns, &key);
  if (!conn) conn = track(tgid, fd, LOUPE_ORIGIN_INFERRED);
  if (!conn || conn->ignored) return NULL;
  conn->tls = 1;
  return conn;
}

/* Emits the first `len` plaintext bytes of call `c` for `conn`, the
 * connection (tgid, fd) tls_conn() returned: the caller has it already, so
 * it is not looked up twice. */
static __noinline int ssl_emit(__u64 pid_tgid, int fd, const struct loupe_conn* conn,
                               const struct loupe_ssl_call* c, __u64 len) {
  __u32 tgid = pid_tgid >> 32;
  __u32 zero = 0;
  struct data_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  struct loupe_data_event* ev = &s->ev;
  ev->h.type = LOUPE_EV_DATA;
  ev->h.dir = c->kind == LOUPE_SSL_READ ? LOUPE_DIR_INGRESS : LOUPE_DIR_EGRESS;
  ev->h.origin = conn->origin;
  ev->h.sock_type = conn->sock_type;
  ev->h.tgid = tgid;
  ev->h.tid = (__u32)pid_tgid;
  ev->h.fd = fd;
  ev->h.gen = conn->gen;
  ev->h.ts_ns = c->syscall_ts ? c->syscall_ts : bpf_ktime_get_ns();
  ev->length = len;
  ev->flags = LOUPE_DATA_F_TLS;
  ev->_pad = 0;
  __builtin_memset(&ev->peer, 0, sizeof(ev->peer));
  count(LOUPE_STAT_TLS_DATA);

  __u32 captured = copy_chunk(s, 0, (const void*)c->buf, len);
  if (captured < len) count(LOUPE_STAT_TRUNCATED);
  ev->captured = captured;
  __u64 size = sizeof(*ev) + (captured & (2 * LOUPE_MAX_CAPTURE - 1));
  if (size > sizeof(*s)) return 0;
  emit(s, size);
  return 0;
}

/* A write syscall inside SSL_write on the SSL*'s socket: the first one that
 * moves bytes emits the call's plaintext; the last one says whether the
 * call ends unfinished. `asked` is the syscall's length (0: not known, as
 * for writev). */
static __noinline int ssl_write_syscall(int fd, const struct loupe_conn* conn,
                                        struct loupe_ssl_call* call, long ret, __u64 asked) {
  __u64 pid_tgid = bpf_get_current_pid_tgid(); /* BPF functions take five arguments at most */
  if (ret > 0 && !call->emitted && call->num) {
    call->emitted = 1;
    ssl_emit(pid_tgid, fd, conn, call, call->num);
  }
  __u32 unfinished = call->emitted && (ret <= 0 || (asked && (__u64)ret < asked));
  struct loupe_ssl_key sk = {.ssl = call->ssl, .tgid = pid_tgid >> 32};
  struct loupe_ssl_state* st = bpf_map_lookup_elem(&ssl_fds, &sk);
  if (!st) { /* the SSL*'s socket, first seen here */
    struct loupe_ssl_state fresh = {.fd = fd, .write_unfinished = unfinished};
    bpf_map_update_elem(&ssl_fds, &sk, &fresh, BPF_ANY);
    call->known_fd = fd;
    return 0;
  }
  if (st->write_unfinished != unfinished) st->write_unfinished = unfinished;
  return 0;
}

/* The first bytes at user `buf` are a TLS record header (content type
 * 20-23, version 3.x). */
static __always_inline int is_tls_record(const void* buf) {
  __u8 h[3];
  if (bpf_probe_read_user(h, sizeof(h), buf)) return 0;
  return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4;
}

/* Whether a syscall on the thread of an SSL_write in flight is the call's
 * own write: a write/sendto on its SSL*'s socket or, while that socket is
 * not known (the handshake runs inside a client's first SSL_write), one
 * whose bytes are a TLS record. `wbuf`: the syscall's buffer, NULL for
 * every other syscall. */
static __always_inline int ssl_write_owns(const struct loupe_ssl_call* call, int fd, long ret,
                                          const void* wbuf) {
  if (!wbuf) return 0;
  if (call->known_fd >= 0) return fd == call->known_fd;
  return ret > 0 && is_tls_record(wbuf);
}

/* Called by sys_exit for a data syscall when probes are attached. Returns 1
 * when the syscall ran inside an SSL call on a traced socket: it carries
 * ciphertext, so the caller must not emit it. `ret`, `wbuf` (the buffer of
 * a write/sendto, else NULL) and `asked` (its length) matter for SSL_write
 * only. */
static __noinline int loupe_ssl_syscall(__u64 pid_tgid, int fd, long ret, const void* wbuf,
                                        __u64 asked) {
  struct loupe_ssl_call* call = bpf_map_lookup_elem(&ssl_calls, &pid_tgid);
  if (!call || !call->active) return 0;
  if (call->kind == LOUPE_SSL_WRITE && !ssl_write_owns(call, fd, ret, wbuf)) {
    /* No return probe says when SSL_write ended: a syscall that is not its
     * write means it has (or it wrote nowhere we know). Either way this
     * syscall is not its ciphertext. */
    call->active = 0;
    return 0;
  }
  struct loupe_conn* conn = tls_conn(pid_tgid >> 32, fd);
  if (!conn) return 0;
  call->fd = fd;
  call->syscall_ts = bpf_ktime_get_ns();
  if (call->kind == LOUPE_SSL_WRITE) ssl_write_syscall(fd, conn, call, ret, asked);
  return 1;
}

static __always_inline int ssl_enter(struct pt_regs* ctx, __u8 kind, __u8 ex) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  if (tgid == self_tgid || (filter_tgid && tgid != filter_tgid)) return 0;
  struct loupe_ssl_call c = {
      .ssl = PT_REGS_PARM1(ctx),
      .buf = PT_REGS_PARM2(ctx),
      .len_ptr = ex ? PT_REGS_PARM4(ctx) : 0,
      .fd = -1,
      .known_fd = -1,
      .kind = kind,
      .ex = ex,
      .active = 1,
  };
  if (kind == LOUPE_SSL_WRITE) {
    c.num = PT_REGS_PARM3(ctx);
    struct loupe_ssl_key sk = {.ssl = c.ssl, .tgid = tgid};
    struct loupe_ssl_state* st = bpf_map_lookup_elem(&ssl_fds, &sk);
    if (st) {
      c.known_fd = st->fd;
      c.emitted = st->write_unfinished; /* a retry: its bytes went out already */
    }
  }
  ssl_thread_mark((__u32)pid_tgid); /* before the call is visible to sys_exit */
  struct loupe_ssl_call* cur = bpf_map_lookup_elem(&ssl_calls, &pid_tgid);
  if (cur)
    *cur = c;
  else
    bpf_map_update_elem(&ssl_calls, &pid_tgid, &c, BPF_ANY);
  return 0;
}

SEC("uprobe")
int loupe_ssl_read_enter(struct pt_regs* ctx) { return ssl_enter(ctx, LOUPE_SSL_READ, 0); }

SEC("uprobe")
int loupe_ssl_read_ex_enter(struct pt_regs* ctx) { return ssl_enter(ctx, LOUPE_SSL_READ, 1); }

SEC("uprobe")
int loupe_ssl_write_enter(struct pt_regs* ctx) { return ssl_enter(ctx, LOUPE_SSL_WRITE, 0); }

SEC("uprobe")
int loupe_ssl_write_ex_enter(struct pt_regs* ctx) { return ssl_enter(ctx, LOUPE_SSL_WRITE, 1); }

SEC("uprobe")
int loupe_ssl_handshake_enter(struct pt_regs* ctx) {
  return ssl_enter(ctx, LOUPE_SSL_HANDSHAKE, 0);
}

/* One return program for SSL_read, SSL_read_ex and SSL_do_handshake: the
 * call's kind says how to read the result. */
SEC("uretprobe")
int loupe_ssl_return(struct pt_regs* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  struct loupe_ssl_call* p = bpf_map_lookup_elem(&ssl_calls, &pid_tgid);
  if (!p || !p->active) return 0;
  struct loupe_ssl_call c = *p;
  p->active = 0;

  struct loupe_ssl_key sk = {.ssl = c.ssl, .tgid = pid_tgid >> 32};
  int fd = c.fd;
  struct loupe_ssl_state* known = bpf_map_lookup_elem(&ssl_fds, &sk);
  if (fd < 0 && known) {
    fd = known->fd;
  } else if (fd >= 0 && (!known || known->fd != fd)) { /* LRU updates take a lock: only on change */
    struct loupe_ssl_state st = {.fd = fd};
    bpf_map_update_elem(&ssl_fds, &sk, &st, BPF_ANY);
  }
  if (c.kind != LOUPE_SSL_READ) return 0;

  long rc = (long)PT_REGS_RC(ctx);
  __u64 len = 0;
  if (c.ex) {
    /* int SSL_read_ex(SSL*, void*, size_t, size_t* readbytes): 1 on success. */
    if ((int)rc != 1 || !c.len_ptr) return 0;
    if (bpf_probe_read_user(&len, sizeof(len), (const void*)c.len_ptr)) return 0;
  } else {
    if ((int)rc <= 0) return 0;
    len = (__u64)(int)rc;
  }
  if (len == 0) return 0;
  if (fd < 0) {
    /* A BIO without a socket (memory BIO, e.g. Python asyncio) or a
     * connection whose first call predates the probes. */
    count(LOUPE_STAT_TLS_NO_FD);
    return 0;
  }
  struct loupe_conn* conn = tls_conn(pid_tgid >> 32, fd);
  if (!conn) return 0;
  return ssl_emit(pid_tgid, fd, conn, &c, len);
}

#endif /* LOUPE_SSL_TRACE_BPF_H */
