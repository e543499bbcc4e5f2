// Whose CPU time the traced programs waited behind (bench/sched_blame.bpf.c).
//
//   sched_blame sched_blame.bpf.o SECONDS --target PID[,PID...] --culprit PID[,PID...]
//
// Targets and culprits are processes (every thread). Prints, per second of
// the window: the targets' waits for a CPU and their total, the part that
// ended when a culprit gave up the CPU (the wait a culprit's run added),
// the part ended by other tasks and by the idle task (wakeup latency), the
// culprits' preemptions of a target, and a histogram of the culprit-ended
// waits in µs. Then per task name: whose runs ended the targets' waits
// (the longest total first; the culprits' threads apart from other tasks,
// which may share their names), and for each thread name of the culprits how long it ran at a
// time before it lost the CPU (preempted) or blocked, and how often it
// preempted a target: which of Loupe's threads holds a CPU for how long.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Must match bench/sched_blame.bpf.c.
struct by_comm_key {
  char comm[16];
  unsigned kind, bucket;
};
struct by_comm_val {
  unsigned long long n, ns;
};
struct row {
  char comm[16];
  unsigned kind;
  unsigned long long n, ns, hist[16];
};
enum { kMaxRows = 512 };
static struct row rows[kMaxRows];
static unsigned nrows;

static struct row* row_for(const struct by_comm_key* k) {
  for (unsigned i = 0; i < nrows; i++)
    if (rows[i].kind == k->kind && !strncmp(rows[i].comm, k->comm, 16)) return &rows[i];
  if (nrows == kMaxRows) return NULL;
  struct row* r = &rows[nrows++];
  memcpy(r->comm, k->comm, 16);
  r->comm[15] = 0;
  r->kind = k->kind;
  return r;
}

static int by_ns_desc(const void* a, const void* b) {
  const struct row *x = a, *y = b;
  return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static void print_hist(const struct row* r) {
  printf(" µs:");
  for (unsigned k = 0; k < 16; k++)
    if (r->hist[k]) printf(" <%u:%llu", 2u << k, r->hist[k]);
}

static void print_by_comm(int fd, double secs) {
  struct by_comm_key key, next;
  struct by_comm_val v;
  int more = bpf_map_get_next_key(fd, NULL, &next) == 0;
  while (more) {
    key = next;
    if (!bpf_map_lookup_elem(fd, &key, &v)) {
      struct row* r = row_for(&key);
      if (r) {
        r->n += v.n;
        r->ns += v.ns;
        r->hist[key.bucket & 15] += v.n;
      }
    }
    more = bpf_map_get_next_key(fd, &key, &next) == 0;
  }
  qsort(rows, nrows, sizeof rows[0], by_ns_desc);
  // The same per culprit thread in one line, as paced2's sched_blame
  // printed it (paced_blame.sh there reads it).
  printf("culprit threads (ended/s ms/s preempted/s):");
  for (unsigned i = 0; i < nrows; i++) {
    if (rows[i].kind != 0 && rows[i].kind != 3) continue;
    const struct row *ended = NULL, *preempted = NULL;
    int seen = 0;
    for (unsigned j = 0; j < nrows; j++) {
      if (strncmp(rows[j].comm, rows[i].comm, 16)) continue;
      if (rows[j].kind == 0) ended = &rows[j];
      if (rows[j].kind == 3) preempted = &rows[j];
      if ((rows[j].kind == 0 || rows[j].kind == 3) && j < i) seen = 1;
    }
    if (seen) continue;
    printf(" %.16s:%.0f/%.2f/%.1f", rows[i].comm, ended ? ended->n / secs : 0,
           ended ? ended->ns / secs / 1e6 : 0, preempted ? preempted->n / secs : 0);
  }
  printf("\n");
  static const char* what[] = {"waits ended by", "runs preempted", "runs blocked",
                               "preempted a target", "waits ended by other"};
  for (unsigned kind = 0; kind < 5; kind++) {
    unsigned shown = 0;
    for (unsigned i = 0; i < nrows && shown < 12; i++) {
      const struct row* r = &rows[i];
      if (r->kind != kind) continue;
      shown++;
      printf("%s %s: %.1f/s, %.3f ms/s", what[kind], r->comm, r->n / secs, r->ns / secs / 1e6);
      if (kind != 3) print_hist(r);
      printf("\n");
    }
  }
}

static void set_roles(int fd, char* list, unsigned role) {
  for (char* s = strtok(list, ","); s; s = strtok(NULL, ",")) {
    unsigned pid = (unsigned)atoi(s);
    bpf_map_update_elem(fd, &pid, &role, BPF_ANY);
  }
}

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: sched_blame OBJ SECONDS --target PIDS --culprit PIDS\n");
    return 2;
  }
  struct bpf_object* obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) {
    fprintf(stderr, "sched_blame: cannot load %s\n", argv[1]);
    return 1;
  }
  int roles = bpf_object__find_map_fd_by_name(obj, "roles");
  int counts = bpf_object__find_map_fd_by_name(obj, "counts");
  set_roles(roles, argv[4], 1);
  set_roles(roles, argv[6], 2);
  struct bpf_program* p;
  bpf_object__for_each_program(p, obj) {
    if (!bpf_program__attach(p)) {
      fprintf(stderr, "sched_blame: cannot attach\n");
      return 1;
    }
  }
  double secs = atof(argv[2]);
  usleep((useconds_t)(secs * 1e6));
  unsigned long long c[32] = {0};
  for (unsigned k = 0; k < 32; k++) bpf_map_lookup_elem(counts, &k, &c[k]);
  printf(
      "per s: target waits %.0f (%.2f ms); ended by culprit %.0f (%.3f ms), by other %.0f (%.3f "
      "ms), "
      "by idle %.0f (%.3f ms), by another target %.0f (%.3f ms); culprit preemptions %.0f\n",
      c[0] / secs, c[1] / secs / 1e6, c[2] / secs, c[3] / secs / 1e6, c[5] / secs,
      c[6] / secs / 1e6, c[7] / secs, c[8] / secs / 1e6, c[9] / secs, c[10] / secs / 1e6,
      c[4] / secs);
  printf("culprit-ended waits, µs:");
  for (unsigned k = 0; k < 16; k++)
    if (c[16 + k]) printf(" <%u:%llu", 2u << k, c[16 + k]);
  printf("\n");
  print_by_comm(bpf_object__find_map_fd_by_name(obj, "by_comm"), secs);
  return 0;
}
