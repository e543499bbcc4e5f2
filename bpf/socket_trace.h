/* Structures shared by socket_trace.bpf.c and the agent (src/agent/).
 *
 * One raw tracepoint on sys_exit sees every syscall's return; it keeps the
 * socket calls Loupe cares about and turns them into events in one BPF ring
 * buffer: OPEN (a connection is first seen), DATA (bytes a read/write moved,
 * with a bounded prefix of them), CLOSE, and PROC_EXIT. */
#ifndef LOUPE_SOCKET_TRACE_H
#define LOUPE_SOCKET_TRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Upper bound of the payload copied per event (a per-CPU staging value
 * can be at most 32 KiB and holds twice this). The runtime limit
 * (capture_bytes in rodata) may be lower. Power of two: the BPF code masks
 * offsets with LOUPE_MAX_CAPTURE - 1 to satisfy the verifier. */
#define LOUPE_MAX_CAPTURE 8192
/* iovec entries walked per readv/writev/sendmsg/recvmsg */
#define LOUPE_MAX_IOV 64
/* messages walked per sendmmsg/recvmmsg */
#define LOUPE_MAX_MMSG 4
#define LOUPE_COMM_LEN 16
/* ports a --port filter may name */
#define LOUPE_MAX_FILTER_PORTS 64

enum loupe_event_type {
  LOUPE_EV_OPEN = 1,
  LOUPE_EV_DATA = 2,
  LOUPE_EV_CLOSE = 3,
  LOUPE_EV_PROC_EXIT = 4,
};

enum loupe_dir {
  LOUPE_DIR_EGRESS = 0,  /* written by the traced process */
  LOUPE_DIR_INGRESS = 1, /* read by the traced process */
};

/* How a connection was first seen. Accept -> server, connect -> client;
 * connections that predate the agent are "inferred" and user space decides
 * the role from the process's listening sockets. */
enum loupe_origin {
  LOUPE_ORIGIN_INFERRED = 0,
  LOUPE_ORIGIN_ACCEPT = 1,
  LOUPE_ORIGIN_CONNECT = 2,
};

/* Per-CPU counters, read by user space and summed over CPUs. Only what
 * user space cannot count itself (events it received it counts on its own,
 * sparing the hot path a map update per event). */
enum loupe_stat {
  LOUPE_STAT_RB_DROPS = 0, /* events lost because the ring buffer was full */
  LOUPE_STAT_TRUNCATED,    /* data events whose payload was cut to capture_bytes */
  LOUPE_STAT_READ_ERRORS,  /* payload copies from user memory that failed */
  LOUPE_STAT_TLS_DATA,     /* plaintext events from SSL_read/SSL_write (ssl_trace.bpf.h) */
  LOUPE_STAT_TLS_NO_FD,    /* SSL calls dropped: their socket was never seen */
  LOUPE_STAT_GO_TLS_NO_FD, /* Go crypto/tls calls whose socket could not be read (go_tls.bpf.h) */
  LOUPE_STAT_MAX,
};

struct loupe_addr {
  __u16 family; /* AF_INET or AF_INET6; 0 when unknown */
  __u16 port;   /* host byte order */
  __u8 addr[16];
};

/* Every event starts with this header. */
struct loupe_event_header {
  __u8 type;      /* enum loupe_event_type */
  __u8 dir;       /* enum loupe_dir (DATA) */
  __u8 origin;    /* enum loupe_origin (OPEN) */
  __u8 sock_type; /* SOCK_STREAM or SOCK_DGRAM */
  __u32 tgid;
  __u32 tid;
  __s32 fd;
  /* Connection generation: the ktime at which the (tgid, fd) connection
   * was first seen. (tgid, fd, gen) is unique even when fds are reused. */
  __u64 gen;
  __u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

struct loupe_open_event {
  struct loupe_event_header h;
  struct loupe_addr local;
  struct loupe_addr remote;
  char comm[LOUPE_COMM_LEN];
};

struct loupe_data_event {
  struct loupe_event_header h;
  __u64 length;   /* bytes the syscall moved */
  __u32 captured; /* payload bytes that follow (<= length) */
  __u16 flags;    /* LOUPE_DATA_F_* */
  __u16 _pad;
  /* Peer of this datagram for unconnected UDP sockets (family 0 otherwise). */
  struct loupe_addr peer;
  /* `captured` payload bytes follow the struct. */
};

/* The payload is TLS plaintext taken from SSL_read/SSL_write, not bytes of
 * a syscall (`length` is what the SSL call returned). */
#define LOUPE_DATA_F_TLS 0x1

/* Where a Go program keeps the socket of a crypto/tls.Conn, one entry per
 * probed Go executable (go_tls_layouts, indexed by the uprobe's cookie):
 * tls.Conn.conn is a net.Conn interface (itab, data); for a *net.TCPConn
 * the data points to a net.conn whose fd is a *netFD, whose pfd (a
 * poll.FD) holds Sysfd. Offsets come from the program's DWARF or from the
 * known layouts of its Go version (src/agent/gotls/go_layout.h). */
struct loupe_go_tls_layout {
  /* Address of the itab go.itab.*net.TCPConn,net.Conn: a conn whose itab
   * differs is not a TCP socket and is skipped. 0: not checked (a position
   * independent program, whose addresses move at load). */
  __u64 tcp_conn_itab;
  __u32 conn;  /* tls.Conn.conn */
  __u32 fd;    /* net.conn.fd (TCPConn embeds net.conn) */
  __u32 pfd;   /* netFD.pfd */
  __u32 sysfd; /* poll.FD.Sysfd */
};

#define LOUPE_GO_TLS_MAX_PROGRAMS 1024

/* CLOSE and PROC_EXIT carry only the header (PROC_EXIT: fd = -1, gen = 0). */

/* What the kernel keeps per (tgid, fd). */
struct loupe_conn {
  __u64 gen;
  __u8 origin;
  __u8 sock_type;
  __u8 ignored; /* a socket Loupe does not trace (unix, netlink, non-DNS UDP) */
  /* An SSL call was seen reading/writing it: its syscall bytes are
   * ciphertext and are not emitted (the plaintext comes from the uprobes). */
  __u8 tls;
  __u8 _pad[4];
};

#endif /* LOUPE_SOCKET_TRACE_H */
