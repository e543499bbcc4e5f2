/* What each piece of a traced sys_exit costs on this machine (issue 14):
 * the program of bpf_parts.bpf.c, attached to sys_exit and filtered to this
 * thread, does one piece per configuration (a clock read, a hash lookup, a
 * copy of N bytes from user memory, a ring-buffer output or reservation of N
 * bytes, ...) while this thread makes getppid() calls; bpf_stats gives the
 * program's ns per run. Each figure is the median of 7 batches, every
 * configuration measured in turn within each batch; the "added" column is
 * that minus the filter-only program's (which includes bpf_stats' own two
 * clock reads per run).
 *
 *   bpf_parts OBJ
 *
 * Built and run by bench/floors.sh (unless PARTS=0), or by hand: clang -O2
 * -g -target bpf -I/usr/include/x86_64-linux-gnu -c bench/bpf_parts.bpf.c
 * -o p.o && gcc -O2 -o bpf_parts bench/bpf_parts.c -lbpf && ./bpf_parts p.o */
#include "bpf_parts.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* names[PART_COUNT] = {
    "filter only (floor)",      "bpf_ktime_get_ns",
    "bpf_get_current_pid_tgid", "LRU hash lookup (hit)",
    "hash lookup (hit)",        "bpf_probe_read_kernel (8 bytes)",
    "bpf_ringbuf_query",        "bpf_probe_read_user",
    "bpf_ringbuf_output",       "probe_read_user + ringbuf_output (before)",
    "ringbuf_reserve + submit", "ringbuf_reserve + probe_read_user into it + submit",
};

struct config {
  enum part mode;
  __u32 size;
};

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static int drain(void* ctx, void* data, size_t size) {
  (void)ctx, (void)data, (void)size;
  return 0;
}

static void prog_stats(int fd, __u64* cnt, __u64* ns) {
  struct bpf_prog_info info = {};
  __u32 len = sizeof(info);
  bpf_obj_get_info_by_fd(fd, &info, &len);
  *cnt = info.run_cnt;
  *ns = info.run_time_ns;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bpf_parts OBJ\n");
    return 2;
  }
  struct bpf_object* obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) {
    fprintf(stderr, "bpf_parts: loading %s failed: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct bpf_program* prog = bpf_object__find_program_by_name(obj, "parts_sys_exit");
  struct bpf_link* link = bpf_program__attach_raw_tracepoint(prog, "sys_exit");
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (!link || stats_fd < 0) {
    fprintf(stderr, "bpf_parts: attach/bpf_stats failed: %s\n", strerror(errno));
    return 1;
  }
  int cfg_fd = bpf_object__find_map_fd_by_name(obj, "cfg");
  int lru_fd = bpf_object__find_map_fd_by_name(obj, "lru");
  struct ring_buffer* rb =
      ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "ring"), drain, NULL, NULL);
  int prog_fd = bpf_program__fd(prog);
  static char buf[8192];
  memset(buf, 'x', sizeof buf);
  __u64 me = ((__u64)getpid() << 32) | (__u32)syscall(SYS_gettid);
  __u64 lru_val[2] = {1, 2};
  bpf_map_update_elem(lru_fd, &me, lru_val, BPF_ANY);
  bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "hash"), &me, lru_val, BPF_ANY);

  struct config cs[32];
  int n = 0;
  for (int m = PART_NONE; m < PART_COUNT; m++) {
    if (m < PART_READ_USER) {
      cs[n++] = (struct config){m, 64};
      continue;
    }
    const __u32 sizes[] = {16, 64, 1024, 4096};
    for (int k = m == PART_READ_USER ? 0 : 1; k < 4; k++) cs[n++] = (struct config){m, sizes[k]};
  }
  enum { BATCHES = 7, CALLS = 20000, DRAIN_EVERY = 256 };
  double t[32][BATCHES];
  for (int b = 0; b < BATCHES; b++) {
    for (int i = 0; i < n; i++) {
      __u32 zero = 0;
      struct parts_cfg c = {
          .mode = cs[i].mode, .size = cs[i].size, .pid_tgid = me, .buf = (__u64)(unsigned long)buf};
      bpf_map_update_elem(cfg_fd, &zero, &c, BPF_ANY);
      __u64 c0, n0, c1, n1, runs = 0, ns = 0;
      for (int k = 0; k < CALLS; k += DRAIN_EVERY) {
        prog_stats(prog_fd, &c0, &n0);
        for (int j = 0; j < DRAIN_EVERY; j++) syscall(SYS_getppid);
        prog_stats(prog_fd, &c1, &n1);
        /* The drain's syscalls run the program too; counting only the
         * window between two reads of the stats leaves them out (the first
         * read's own exit falls inside and runs the same piece). */
        runs += c1 - c0;
        ns += n1 - n0;
        ring_buffer__consume(rb);
      }
      t[i][b] = (double)ns / (double)runs;
    }
  }
  qsort(t[0], BATCHES, sizeof(double), cmp);
  double floor = t[0][BATCHES / 2];
  printf("| piece | bytes | ns/run (median of %d x %d) | added to the floor |\n|---|---|---|---|\n",
         BATCHES, (int)CALLS);
  for (int i = 0; i < n; i++) {
    if (i) qsort(t[i], BATCHES, sizeof(double), cmp);
    double med = t[i][BATCHES / 2];
    char bytes[16] = "";
    if (cs[i].mode >= PART_READ_USER) snprintf(bytes, sizeof bytes, "%u", cs[i].size);
    printf("| %s | %s | %.0f | %+.0f |\n", names[cs[i].mode], bytes, med, med - floor);
  }
  ring_buffer__free(rb);
  bpf_link__destroy(link);
  close(stats_fd);
  bpf_object__close(obj);
  return 0;
}
