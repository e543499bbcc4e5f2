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

/* ---- User stacks unwound from .eh_frame (x86-64) ----
 *
 * Code built without frame pointers (most of Debian, glibc included) cannot
 * be walked through RBP. For such code the agent computes unwind rows from
 * each mapped object's .eh_frame in user space (src/agent/profile/
 * unwind_table.*), for the program to follow.
 *
 * A row says, from its pc up to the next row's pc, how to find the caller:
 * CFA (the stack pointer before the call) = RSP or RBP + cfa_offset; the
 * return address is at CFA - 8 (rows where it is not are UNSUPPORTED); the
 * caller's RBP is saved at CFA + rbp_offset or still in RBP. Row pcs are
 * relative to the object's base (its lowest FDE address). */
enum loupe_unwind_cfa {
  LOUPE_UNWIND_CFA_NONE = 0,    /* no unwind info here: use the frame pointer */
  LOUPE_UNWIND_CFA_RSP,         /* CFA = RSP + cfa_offset */
  LOUPE_UNWIND_CFA_RBP,         /* CFA = RBP + cfa_offset */
  LOUPE_UNWIND_CFA_PLT,         /* a PLT entry: RSP + cfa_offset, + 8 once past its push
                                 * ((RIP & 15) >= 11, GCC and ld's expression) */
  LOUPE_UNWIND_CFA_END,         /* the outermost frame (_start, a thread's start) */
  LOUPE_UNWIND_CFA_UNSUPPORTED, /* a rule the program cannot follow: the stack ends
                                 * here, marked truncated */
};

enum loupe_unwind_rbp {
  LOUPE_UNWIND_RBP_UNCHANGED = 0, /* the caller's RBP is still in RBP */
  LOUPE_UNWIND_RBP_AT_CFA,        /* saved at CFA + rbp_offset */
  LOUPE_UNWIND_RBP_UNDEFINED,     /* not recoverable: callers that need it stop */
};

struct loupe_unwind_row {
  __u32 pc;         /* first pc the row covers, relative to the object's base */
  __u8 cfa_rule;    /* enum loupe_unwind_cfa */
  __u8 rbp_rule;    /* enum loupe_unwind_rbp */
  __s16 rbp_offset; /* for RBP_AT_CFA */
  __s32 cfa_offset;
  __u32 pad; /* array elements are 8-byte aligned: 16 bytes either way */
};

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
