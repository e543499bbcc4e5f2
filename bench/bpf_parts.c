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
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* names[PART_COUNT] = {
    "filter only (floor)",
    "bpf_ktime_get_ns",
    "bpf_get_current_pid_tgid",
    "LRU hash lookup (hit)",
    "hash lookup (hit)",
    "bpf_probe_read_kernel (8 bytes)",
    "bpf_ringbuf_query",
    "bpf_probe_read_user",
    "bpf_ringbuf_output",
    "probe_read_user + ringbuf_output (before)",
    "ringbuf_reserve + submit",
    "ringbuf_reserve + probe_read_user into it + submit",
    "filter only, in the exact-size program (its floor)",
    "ringbuf_reserve_dynptr (exact size) + submit",
    "reserve_dynptr + probe_read_user_dynptr into it + submit",
    "reserve_dynptr + 72-byte header + probe_read_user_dynptr + submit",
};

struct config {
  enum part mode;
  __u32 size;
};

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* Counts the events drained: an emitting piece must deliver one per run. */
static int drain(void* ctx, void* data, size_t size) {
  (void)data, (void)size;
  ++*(__u64*)ctx;
  return 0;
}

/* Whether the running kernel has the kfunc `name` (in its BTF). */
static int kernel_has_kfunc(const char* name) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  int found = vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
  btf__free(vmlinux);
  return found;
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
  struct bpf_program* dynptr_prog =
      obj ? bpf_object__find_program_by_name(obj, "parts_sys_exit_dynptr") : NULL;
  int dynptr = kernel_has_kfunc("bpf_probe_read_user_dynptr");
  if (dynptr_prog && !dynptr) bpf_program__set_autoload(dynptr_prog, false);
  if (!obj || !dynptr_prog || bpf_object__load(obj)) {
    fprintf(stderr, "bpf_parts: loading %s failed: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct bpf_program* prog = bpf_object__find_program_by_name(obj, "parts_sys_exit");
  struct bpf_link* link = bpf_program__attach_raw_tracepoint(prog, "sys_exit");
  struct bpf_link* dynptr_link =
      dynptr ? bpf_program__attach_raw_tracepoint(dynptr_prog, "sys_exit") : NULL;
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (!link || (dynptr && !dynptr_link) || stats_fd < 0) {
    fprintf(stderr, "bpf_parts: attach/bpf_stats failed: %s\n", strerror(errno));
    return 1;
  }
  int cfg_fd = bpf_object__find_map_fd_by_name(obj, "cfg");
  int lru_fd = bpf_object__find_map_fd_by_name(obj, "lru");
  __u64 drained = 0;
  struct ring_buffer* rb =
      ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "ring"), drain, &drained, NULL);
  int prog_fd = bpf_program__fd(prog);
  int dynptr_prog_fd = dynptr ? bpf_program__fd(dynptr_prog) : -1;
  static char buf[8192];
  memset(buf, 'x', sizeof buf);
  __u64 me = ((__u64)getpid() << 32) | (__u32)syscall(SYS_gettid);
  __u64 lru_val[2] = {1, 2};
  bpf_map_update_elem(lru_fd, &me, lru_val, BPF_ANY);
  bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "hash"), &me, lru_val, BPF_ANY);

  struct config cs[PART_COUNT * 4];
  int n = 0;
  int modes = dynptr ? PART_COUNT : PART_DYNPTR_FLOOR;
  for (int m = PART_NONE; m < modes; m++) {
    if (m < PART_READ_USER || m == PART_DYNPTR_FLOOR) {
      cs[n++] = (struct config){m, 64};
      continue;
    }
    const __u32 sizes[] = {16, 64, 1024, 4096};
    for (int k = m == PART_READ_USER ? 0 : 1; k < 4; k++) cs[n++] = (struct config){m, sizes[k]};
  }
  enum { BATCHES = 7, CALLS = 20000, DRAIN_EVERY = 256 };
  /* run_cnt counts the program's runs for every thread of the host, most
   * of which stop at the filter; this thread's are known: its DRAIN_EVERY
   * calls and the exit of the first stats read of each window. */
  double t[PART_COUNT * 4][BATCHES], own_share[PART_COUNT * 4][BATCHES];
  double events_per_run[PART_COUNT * 4] = {0};
  for (int b = 0; b < BATCHES; b++) {
    for (int i = 0; i < n; i++) {
      __u32 zero = 0;
      struct parts_cfg c = {
          .mode = cs[i].mode, .size = cs[i].size, .pid_tgid = me, .buf = (__u64)(unsigned long)buf};
      bpf_map_update_elem(cfg_fd, &zero, &c, BPF_ANY);
      int fd = cs[i].mode >= PART_DYNPTR_FLOOR ? dynptr_prog_fd : prog_fd;
      __u64 c0, n0, c1, n1, runs = 0, own = 0, ns = 0, drained0 = drained;
      for (int k = 0; k < CALLS; k += DRAIN_EVERY) {
        prog_stats(fd, &c0, &n0);
        for (int j = 0; j < DRAIN_EVERY; j++) syscall(SYS_getppid);
        prog_stats(fd, &c1, &n1);
        /* The drain's syscalls run the program too; counting only the
         * window between two reads of the stats leaves them out (the first
         * read's own exit falls inside and runs the same piece). */
        runs += c1 - c0;
        own += DRAIN_EVERY + 1;
        ns += n1 - n0;
        ring_buffer__consume(rb);
      }
      t[i][b] = (double)ns / (double)runs;
      own_share[i][b] = (double)own / (double)runs;
      events_per_run[i] += (double)(drained - drained0) / (double)own / BATCHES;
    }
  }
  /* Per batch, what the piece adds to one of this thread's runs: the
   * others' runs cost the filter only, as every run of the floor does. */
  double added[PART_COUNT * 4][BATCHES];
  int dynptr_floor = 0;
  for (int i = 0; i < n; i++)
    if (cs[i].mode == PART_DYNPTR_FLOOR) dynptr_floor = i;
  for (int i = 0; i < n; i++) {
    int f = cs[i].mode >= PART_DYNPTR_FLOOR ? dynptr_floor : 0;
    for (int b = 0; b < BATCHES; b++) added[i][b] = (t[i][b] - t[f][b]) / own_share[i][b];
  }
  printf(
      "| piece | bytes | ns/run, all threads (median of %d x %d) | added per traced run | "
      "this thread's share of runs | events / traced run |\n"
      "|---|---|---|---|---|---|\n",
      BATCHES, (int)CALLS);
  for (int i = 0; i < n; i++) {
    double share = 0;
    for (int b = 0; b < BATCHES; b++) share += own_share[i][b] / BATCHES;
    qsort(t[i], BATCHES, sizeof(double), cmp);
    qsort(added[i], BATCHES, sizeof(double), cmp);
    char bytes[16] = "";
    if (cs[i].mode >= PART_READ_USER && cs[i].mode != PART_DYNPTR_FLOOR)
      snprintf(bytes, sizeof bytes, "%u", cs[i].size);
    printf("| %s | %s | %.0f | %+.0f | %.2f | %.2f |\n", names[cs[i].mode], bytes,
           t[i][BATCHES / 2], added[i][BATCHES / 2], share, events_per_run[i]);
  }
  if (!dynptr)
    printf("\n(no exact-size rows: this kernel lacks bpf_probe_read_user_dynptr, 6.16+)\n");
  ring_buffer__free(rb);
  bpf_link__destroy(dynptr_link);
  bpf_link__destroy(link);
  close(stats_fd);
  bpf_object__close(obj);
  return 0;
}
