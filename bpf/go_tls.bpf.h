/* TLS plaintext from Go's crypto/tls (Go >= 1.17, register ABI). Included
 * by socket_trace.bpf.c after ssl_trace.bpf.h: it emits the same DATA
 * events (ssl_emit) for the same (tgid, fd) connections (tls_conn), so the
 * syscall side's connection is the one that switches to TLS.
 *
 * Go programs do not use OpenSSL, and their goroutines move between
 * threads, so nothing is keyed by thread and no syscall is correlated:
 *   - crypto/tls.(*Conn).Write, entry: receiver, buffer and length are in
 *     registers; the socket is read out of the receiver (its net.Conn, a
 *     *net.TCPConn, its netFD's Sysfd, at per-program offsets); the
 *     plaintext is emitted at once.
 *   - crypto/tls.(*Conn).Read, entry: the buffer and socket are stored,
 *     keyed by (tgid, goroutine). The goroutine is its g pointer, which Go's
 *     ABI keeps in a register (R14 on x86-64, R28 on arm64) for the whole
 *     call, on whichever thread it resumes.
 *   - Read's result: uprobes on each RET instruction of the function (user
 *     space finds them by disassembling it), never a uretprobe: a
 *     uretprobe rewrites the return address on the goroutine stack, and Go
 *     copies stacks when they grow, which then crashes the program.
 * Both entries also mark the connection TLS in `conns`, so the ciphertext
 * the runtime reads and writes is never emitted. */
#ifndef LOUPE_GO_TLS_BPF_H
#define LOUPE_GO_TLS_BPF_H

#if defined(__TARGET_ARCH_x86)
#define GO_ARG1(r) ((r)->ax)
#define GO_ARG2(r) ((r)->bx)
#define GO_ARG3(r) ((r)->cx)
#define GO_G(r) ((r)->r14)
#elif defined(__TARGET_ARCH_arm64)
#define GO_ARG1(r) (((const struct user_pt_regs*)(r))->regs[0])
#define GO_ARG2(r) (((const struct user_pt_regs*)(r))->regs[1])
#define GO_ARG3(r) (((const struct user_pt_regs*)(r))->regs[2])
#define GO_G(r) (((const struct user_pt_regs*)(r))->regs[28])
#else
#error "Go's register ABI is known here for x86-64 and arm64 only"
#endif

/* Per probed Go program, indexed by the uprobe's bpf cookie. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, LOUPE_GO_TLS_MAX_PROGRAMS);
  __type(key, __u32);
  __type(value, struct loupe_go_tls_layout);
} go_tls_layouts SEC(".maps");

struct loupe_go_read_key {
  __u64 g; /* the goroutine's runtime.g */
  __u32 tgid;
  __u32 _pad;
};

/* A Read in flight (buf != 0), or the goroutine's last one: entries are
 * reused, not deleted. */
struct loupe_go_read {
  __u64 buf;
  __s32 fd;
  __u32 _pad;
};

/* (tgid, goroutine) -> Read in flight. LRU: goroutines that end inside a
 * Read (a panic unwinding through it) leave entries that age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct loupe_go_read_key);
  __type(value, struct loupe_go_read);
} go_tls_reads SEC(".maps");

/* The socket of the *tls.Conn `tls_conn`, or -1 when it cannot be read or
 * its net.Conn is not a *net.TCPConn. */
static __always_inline int go_tls_fd(struct pt_regs* ctx, __u64 tls_conn) {
  __u32 index = (__u32)bpf_get_attach_cookie(ctx);
  const struct loupe_go_tls_layout* l = bpf_map_lookup_elem(&go_tls_layouts, &index);
  if (!l) return -1;
  __u64 iface[2]; /* itab, data */
  if (bpf_probe_read_user(iface, sizeof(iface), (const void*)(tls_conn + l->conn))) return -1;
  if (l->tcp_conn_itab && iface[0] != l->tcp_conn_itab) return -1;
  __u64 netfd = 0;
  if (bpf_probe_read_user(&netfd, sizeof(netfd), (const void*)(iface[1] + l->fd))) return -1;
  __s64 sysfd = -1;
  if (bpf_probe_read_user(&sysfd, sizeof(sysfd), (const void*)(netfd + l->pfd + l->sysfd)))
    return -1;
  return sysfd >= 0 && sysfd < 0x7fffffff ? (int)sysfd : -1;
}

/* The traced, TLS-marked connection of the receiver, or NULL. */
static __always_inline struct loupe_conn* go_tls_conn(struct pt_regs* ctx, __u32 tgid, int* fd) {
  *fd = go_tls_fd(ctx, GO_ARG1(ctx));
  if (*fd < 0) {
    count(LOUPE_STAT_GO_TLS_NO_FD);
    return NULL;
  }
  return tls_conn(tgid, *fd);
}

static __always_inline int go_tls_traced(__u32 tgid) {
  return tgid != self_tgid && (!filter_tgid || tgid == filter_tgid);
}

/* func (c *Conn) Write(b []byte) (int, error): c, b.ptr, b.len. */
SEC("uprobe")
int loupe_go_tls_write(struct pt_regs* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  __u64 len = GO_ARG3(ctx);
  if (!go_tls_traced(tgid) || len == 0) return 0;
  int fd = -1;
  struct loupe_conn* conn = go_tls_conn(ctx, tgid, &fd);
  if (!conn) return 0;
  struct loupe_ssl_call c = {.buf = GO_ARG2(ctx), .kind = LOUPE_SSL_WRITE};
  return ssl_emit(pid_tgid, fd, conn, &c, len);
}

/* func (c *Conn) Read(b []byte) (int, error): c, b.ptr, b.len. */
SEC("uprobe")
int loupe_go_tls_read_enter(struct pt_regs* ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!go_tls_traced(tgid)) return 0;
  int fd = -1;
  if (!go_tls_conn(ctx, tgid, &fd)) return 0;
  struct loupe_go_read_key key = {.g = GO_G(ctx), .tgid = tgid};
  struct loupe_go_read r = {.buf = GO_ARG2(ctx), .fd = fd};
  struct loupe_go_read* cur = bpf_map_lookup_elem(&go_tls_reads, &key);
  if (cur)
    *cur = r;
  else
    bpf_map_update_elem(&go_tls_reads, &key, &r, BPF_ANY);
  return 0;
}

/* At each RET of Read: the byte count n is the first result. */
SEC("uprobe")
int loupe_go_tls_read_return(struct pt_regs* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tgid = pid_tgid >> 32;
  struct loupe_go_read_key key = {.g = GO_G(ctx), .tgid = tgid};
  struct loupe_go_read* cur = bpf_map_lookup_elem(&go_tls_reads, &key);
  if (!cur || !cur->buf) return 0;
  struct loupe_ssl_call c = {.buf = cur->buf, .kind = LOUPE_SSL_READ};
  int fd = cur->fd;
  cur->buf = 0;
  long n = (long)GO_ARG1(ctx);
  if (n <= 0) return 0;
  struct loupe_conn* conn = tls_conn(tgid, fd);
  if (!conn) return 0;
  return ssl_emit(pid_tgid, fd, conn, &c, (__u64)n);
}

#endif /* LOUPE_GO_TLS_BPF_H */
