// Whose CPU time the traced programs waited behind (bench/sched_blame.bpf.c).
//
//   sched_blame sched_blame.bpf.o SECONDS --target PID[,PID...] --culprit PID[,PID...]
//
// Targets and culprits are processes (every thread). Prints, per second of
// the window: the targets' waits for a CPU and their total, the part that
// ended when a culprit gave up the CPU (the wait a culprit's run added),
// the part ended by other tasks and by the idle task (wakeup latency), the
// culprits' preemptions of a target, and a histogram of the culprit-ended
// waits in µs.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  // Per culprit thread: waits it ended (ms), preemptions, a second.
  int by_comm = bpf_object__find_map_fd_by_name(obj, "by_comm");
  char key[16], next[16];
  char* prev = NULL;
  printf("culprit threads (ended/s ms/s preempted/s):");
  while (by_comm >= 0 && bpf_map_get_next_key(by_comm, prev, next) == 0) {
    unsigned long long v[3] = {0};
    memcpy(key, next, sizeof key);
    prev = key;
    if (bpf_map_lookup_elem(by_comm, key, v) == 0)
      printf(" %.16s:%.0f/%.2f/%.1f", key, v[0] / secs, v[1] / secs / 1e6, v[2] / secs);
  }
  printf("\n");
  return 0;
}
