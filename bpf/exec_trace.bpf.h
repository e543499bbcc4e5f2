/* Processes that start a program: the TLS tracer reads the maps of each
 * process that ran exec at its next rescan, instead of walking /proc every
 * second to find them (src/agent/tls/exec_watch.h). Included by
 * socket_trace.bpf.c; attached by user space only while TLS capture is on.
 *
 * No wakeup per exec: user space reads the ring on its rescan timer (at
 * exec the dynamic loader has not mapped a library yet anyway). */
#ifndef LOUPE_EXEC_TRACE_BPF_H
#define LOUPE_EXEC_TRACE_BPF_H

/* The tgid (__u32) of each process that ran exec: 16 bytes a record with
 * the ring's header, 1,024 execs between two reads. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16384);
} exec_events SEC(".maps");

/* Execs that found the ring full: user space then walks /proc instead. */
volatile __u64 exec_events_lost = 0;

SEC("raw_tracepoint/sched_process_exec")
int loupe_process_exec(struct bpf_raw_tracepoint_args* ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid) return 0;
  if (bpf_ringbuf_output(&exec_events, &tgid, sizeof(tgid), BPF_RB_NO_WAKEUP) != 0)
    __sync_fetch_and_add(&exec_events_lost, 1);
  return 0;
}

#endif /* LOUPE_EXEC_TRACE_BPF_H */
