/* Structures shared by profile.bpf.c and the agent (src/agent/profile/).
 *
 * A perf_event program runs on every CPU at the sampling frequency (a
 * software CPU clock, so it works in VMs without a PMU). Each sample takes
 * the interrupted task's user and kernel stacks with frame-pointer
 * unwinding (bpf_get_stackid into a stack-trace map) and counts the
 * (tgid, user stack, kernel stack) triple in a hash map. Nothing is sent
 * per sample: user space drains the counts every few seconds.
 *
 * The maps come in two sets. The program writes to the set named by
 * `active_set` (in .bss, written by user space); the agent flips it, then
 * reads and clears the set no longer written, so a drain never races with a
 * sample that refers to a stack it is deleting. */
#ifndef LOUPE_PROFILE_H
#define LOUPE_PROFILE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames kept per stack (the kernel's default perf_event_max_stack). A
 * stack this deep may have been cut: user space marks it truncated. */
#define LOUPE_PROFILE_MAX_DEPTH 127
/* Distinct stacks per set (user and kernel stacks share the map). */
#define LOUPE_PROFILE_MAX_STACKS 4096
/* Distinct (tgid, user stack, kernel stack) triples per set. */
#define LOUPE_PROFILE_MAX_COUNTS 8192
#define LOUPE_PROFILE_COMM_LEN 16

/* Per-CPU counters, summed by user space. */
enum loupe_profile_stat {
  LOUPE_PROFILE_STAT_SAMPLES = 0,  /* samples of a non-idle task that passed the filter */
  LOUPE_PROFILE_STAT_COUNTS_FULL,  /* samples dropped: the counts map was full */
  LOUPE_PROFILE_STAT_STACKS_FULL,  /* stacks lost: stack map full or a hash collision */
  LOUPE_PROFILE_STAT_STACK_ERRORS, /* stacks lost for another reason (unreadable memory) */
  LOUPE_PROFILE_STAT_MAX,
};

/* Stack id meaning "no stack": a kernel thread has no user stack, a task
 * interrupted in user mode has no kernel stack. */
#define LOUPE_PROFILE_NO_STACK (-1)
/* Stack id meaning "the stack was taken but could not be stored". */
#define LOUPE_PROFILE_LOST_STACK (-2)

struct loupe_profile_key {
  __u32 tgid;
  __s32 user_stack_id;   /* id in the stack map, or NO_STACK / LOST_STACK */
  __s32 kernel_stack_id; /* id in the stack map, or NO_STACK / LOST_STACK */
};

struct loupe_profile_value {
  __u64 samples;
  char comm[LOUPE_PROFILE_COMM_LEN]; /* of the first thread sampled */
};

#endif
