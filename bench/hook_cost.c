/* What the hooks Loupe attaches cost on this machine before any BPF work,
 * with the do-nothing programs of hook_cost.bpf.c. Two uses:
 *
 *   hook_cost costs OBJ
 *     prints, in ns per call, a syscall with and without a sys_exit raw
 *     tracepoint attached (bpf_stats off and on), and a function call with
 *     a uprobe, a uretprobe and both: the function starts with
 *     `sub $0x18,%rsp` like OpenSSL 3's SSL_read and SSL_write (an
 *     instruction the kernel single-steps out of line), and a second one
 *     with `push %rbp` (which it emulates). Each figure is the median of 7
 *     batches of this thread's CPU time per call, every configuration
 *     measured in turn within each batch.
 *
 *   hook_cost attach OBJ [--sys-exit] [--ssl LIBSSL]
 *     attaches the programs host-wide where Loupe attaches its own (the
 *     sys_exit raw tracepoint; on LIBSSL uprobes on SSL_read, SSL_write,
 *     SSL_read_ex, SSL_write_ex, SSL_do_handshake and uretprobes on
 *     SSL_read, SSL_read_ex, SSL_do_handshake), prints "attached" and
 *     waits for SIGINT/SIGTERM: the bare-hook floor for bench/floors.sh.
 *
 *   hook_cost pair PORT [BYTES [IOVECS]]
 *     listens on 127.0.0.1:PORT, connects to itself and times (CPU time of
 *     this thread, median of 7 batches) a write of BYTES (default 64; a
 *     writev of IOVECS equal pieces when given) on one end and the read of
 *     it on the other: two traced socket syscalls per pair when a
 *     loupe traces PORT, so the difference between two builds attached in
 *     turn is the difference of their sys_exit programs on the traced path.
 *
 * Built by bench/floors.sh (clang -target bpf for OBJ, gcc -lbpf). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* int f(int x) { return x + 1; } with the prologue of OpenSSL 3's SSL_read. */
__attribute__((naked, noinline)) int target_sub(int x __attribute__((unused))) {
  __asm__ volatile(
      "sub $0x18, %rsp\n\t"
      "lea 1(%rdi), %eax\n\t"
      "add $0x18, %rsp\n\t"
      "ret\n\t");
}

/* The same prologue, probed at its first conditional jump (`target_jcc_at`,
 * 6 bytes in): x86 uprobes emulate branches, so this is what a probe past
 * `sub $0x18,%rsp` would cost (the arguments are still in their registers
 * there). */
__attribute__((naked, noinline)) int target_jcc(int x __attribute__((unused))) {
  __asm__ volatile(
      "sub $0x18, %rsp\n\t"
      "test %edi, %edi\n\t"
      "target_jcc_at:\n\t"
      "js 1f\n\t"
      "1: lea 1(%rdi), %eax\n\t"
      "add $0x18, %rsp\n\t"
      "ret\n\t");
}

/* The same with a frame-pointer prologue, which x86 uprobes emulate. */
__attribute__((naked, noinline)) int target_push(int x __attribute__((unused))) {
  __asm__ volatile(
      "push %rbp\n\t"
      "lea 1(%rdi), %eax\n\t"
      "pop %rbp\n\t"
      "ret\n\t");
}

/* This thread's CPU time, not wall time: on a shared machine a wall clock
 * counts the other processes' turns too. */
static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

enum op { OP_GETPPID, OP_CALL_SUB, OP_CALL_PUSH, OP_CALL_JCC };

static double time_op(enum op op, int n) {
  int (*volatile fn)(int) = op == OP_CALL_PUSH  ? target_push
                            : op == OP_CALL_JCC ? target_jcc
                                                : target_sub;
  volatile int sink = 0;
  double a = now_ns();
  for (int i = 0; i < n; i++) {
    if (op == OP_GETPPID)
      sink += (int)syscall(SYS_getppid);
    else
      sink += fn(i);
  }
  return (now_ns() - a) / n;
}

static struct bpf_program* prog(struct bpf_object* obj, const char* name) {
  struct bpf_program* p = bpf_object__find_program_by_name(obj, name);
  if (!p) {
    fprintf(stderr, "hook_cost: no program %s in the object\n", name);
    exit(1);
  }
  return p;
}

static struct bpf_link* must(struct bpf_link* l, const char* what) {
  if (!l) {
    fprintf(stderr, "hook_cost: attaching %s failed: %s\n", what, strerror(errno));
    exit(1);
  }
  return l;
}

static struct bpf_link* attach_probe_at(struct bpf_object* obj, pid_t pid, const char* path,
                                        const char* fn, size_t offset, int ret) {
  LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret, .func_name = fn);
  return must(bpf_program__attach_uprobe_opts(prog(obj, ret ? "bare_uretprobe" : "bare_uprobe"),
                                              pid, path, offset, &o),
              fn);
}

static struct bpf_link* attach_probe(struct bpf_object* obj, pid_t pid, const char* path,
                                     const char* fn, int ret) {
  return attach_probe_at(obj, pid, path, fn, 0, ret);
}

extern char target_jcc_at[];

struct config {
  const char* label;
  enum op op;
  int sys_exit, stats, uprobe, uretprobe;
};

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static int costs(struct bpf_object* obj) {
  const struct config cs[] = {
      {"syscall (getppid), no hook", OP_GETPPID, 0, 0, 0, 0},
      {"syscall, sys_exit raw tracepoint, empty program", OP_GETPPID, 1, 0, 0, 0},
      {"syscall, the same with bpf_stats on", OP_GETPPID, 1, 1, 0, 0},
      {"function call (sub rsp), no probe", OP_CALL_SUB, 0, 0, 0, 0},
      {"function call (sub rsp), uprobe", OP_CALL_SUB, 0, 0, 1, 0},
      {"function call (sub rsp), uretprobe", OP_CALL_SUB, 0, 0, 0, 1},
      {"function call (sub rsp), uprobe + uretprobe", OP_CALL_SUB, 0, 0, 1, 1},
      {"function call (push rbp), uprobe", OP_CALL_PUSH, 0, 0, 1, 0},
      {"function call (sub rsp), uprobe on its first jcc", OP_CALL_JCC, 0, 0, 1, 0},
  };
  enum { N_CONFIGS = sizeof(cs) / sizeof(cs[0]), BATCHES = 7, CALLS = 20000 };
  double t[N_CONFIGS][BATCHES];
  for (int b = 0; b < BATCHES; b++) {
    for (int i = 0; i < N_CONFIGS; i++) {
      const struct config* c = &cs[i];
      struct bpf_link* links[3] = {0};
      int stats_fd = -1;
      const char* fn = c->op == OP_CALL_PUSH  ? "target_push"
                       : c->op == OP_CALL_JCC ? "target_jcc"
                                              : "target_sub";
      size_t at = c->op == OP_CALL_JCC ? (size_t)(target_jcc_at - (char*)target_jcc) : 0;
      if (c->sys_exit)
        links[0] = must(bpf_program__attach_raw_tracepoint(prog(obj, "bare_sys_exit"), "sys_exit"),
                        "sys_exit");
      if (c->uprobe) links[1] = attach_probe_at(obj, getpid(), "/proc/self/exe", fn, at, 0);
      if (c->uretprobe) links[2] = attach_probe(obj, getpid(), "/proc/self/exe", fn, 1);
      if (c->stats) stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
      time_op(c->op, CALLS / 10); /* warm up */
      t[i][b] = time_op(c->op, CALLS);
      if (stats_fd >= 0) close(stats_fd);
      for (int k = 0; k < 3; k++) bpf_link__destroy(links[k]);
    }
  }
  printf("| operation | ns per call (median of %d x %d) | min |\n|---|---|---|\n", BATCHES,
         (int)CALLS);
  for (int i = 0; i < N_CONFIGS; i++) {
    qsort(t[i], BATCHES, sizeof(double), cmp);
    printf("| %s | %.0f | %.0f |\n", cs[i].label, t[i][BATCHES / 2], t[i][0]);
  }
  return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static int attach(struct bpf_object* obj, int argc, char** argv) {
  struct bpf_link* links[16];
  int n = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--sys-exit")) {
      links[n++] = must(bpf_program__attach_raw_tracepoint(prog(obj, "bare_sys_exit"), "sys_exit"),
                        "sys_exit");
    } else if (!strcmp(argv[i], "--ssl") && i + 1 < argc) {
      const char* lib = argv[++i];
      /* What src/agent/tls/tls_tracer.cpp attaches. */
      const char* entries[] = {"SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex",
                               "SSL_do_handshake"};
      const char* returns[] = {"SSL_read", "SSL_read_ex", "SSL_do_handshake"};
      for (int k = 0; k < 5; k++) links[n++] = attach_probe(obj, -1, lib, entries[k], 0);
      for (int k = 0; k < 3; k++) links[n++] = attach_probe(obj, -1, lib, returns[k], 1);
    } else {
      fprintf(stderr, "hook_cost attach: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  printf("attached %d hooks\n", n);
  fflush(stdout);
  while (!stop) pause();
  for (int k = 0; k < n; k++) bpf_link__destroy(links[k]);
  return 0;
}

static int pair(int port, size_t bytes, int iovecs) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 1) ||
      connect(c, (struct sockaddr*)&a, sizeof a)) {
    perror("hook_cost pair");
    return 1;
  }
  int s = accept(l, NULL, NULL);
  static char buf[65536];
  if (bytes == 0 || bytes > sizeof buf || iovecs < 0 || iovecs > 64) return 2;
  memset(buf, 'x', bytes);
  memcpy(buf, "GET /pair HTTP/1.1\r\nHost: x\r\n\r\n", bytes < 32 ? bytes : 32);
  struct iovec iov[64];
  for (int k = 0; k < iovecs; k++) {
    iov[k].iov_base = buf + k * (bytes / iovecs);
    iov[k].iov_len = k == iovecs - 1 ? bytes - k * (bytes / iovecs) : bytes / iovecs;
  }
  enum { BATCHES = 7, PAIRS = 20000 };
  double t[BATCHES];
  for (int b = 0; b < BATCHES; b++) {
    double start = now_ns();
    for (int i = 0; i < PAIRS; i++) {
      ssize_t w = iovecs ? writev(c, iov, iovecs) : write(c, buf, bytes);
      size_t got = 0;
      while (w == (ssize_t)bytes && got < bytes) {
        ssize_t r = read(s, buf, bytes - got);
        if (r <= 0) break;
        got += (size_t)r;
      }
      if (got != bytes) {
        perror("hook_cost pair");
        return 1;
      }
    }
    t[b] = (now_ns() - start) / PAIRS;
  }
  qsort(t, BATCHES, sizeof(double), cmp);
  printf("%.0f\n", t[BATCHES / 2]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && argc <= 5 && !strcmp(argv[1], "pair"))
    return pair(atoi(argv[2]), argc > 3 ? (size_t)atol(argv[3]) : 64, argc > 4 ? atoi(argv[4]) : 0);
  if (argc < 3 || (strcmp(argv[1], "costs") && strcmp(argv[1], "attach"))) {
    fprintf(stderr,
            "usage: hook_cost costs OBJ | hook_cost attach OBJ [--sys-exit] [--ssl LIB] | "
            "hook_cost pair PORT [BYTES [IOVECS]]\n");
    return 2;
  }
  struct bpf_object* obj = bpf_object__open_file(argv[2], NULL);
  if (!obj || bpf_object__load(obj)) {
    fprintf(stderr, "hook_cost: loading %s failed: %s\n", argv[2], strerror(errno));
    return 1;
  }
  int rc = !strcmp(argv[1], "costs") ? costs(obj) : attach(obj, argc - 3, argv + 3);
  bpf_object__close(obj);
  return rc;
}
