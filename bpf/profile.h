/* Structures shared by profile.bpf.c and the agent (src/agent/profile/).
 *
 * A perf_event program runs on every CPU at the sampling frequency (a
 * software CPU clock, so it works in VMs without a PMU). Each sample takes
 * the interrupted task's kernel stack with the kernel's frame-pointer walk
 * (bpf_get_stackid into a stack-trace map) and its user stack with the
 * program's own unwinder (below: .eh_frame rows where the agent loaded
 * them, frame pointers elsewhere) into a hash map keyed by the stack's
 * hash, and counts the (tgid, user stack, kernel stack) triple in a hash
 * map. Nothing is sent per sample: user space drains the counts every few
 * seconds.
 *
 * The stack and count maps come in two sets. The program writes to the set
 * named by `active_set` (in .bss, written by user space); the agent flips
 * it, then reads and clears the set no longer written, so a drain never
 * races with a sample that refers to a stack it is deleting. */
#ifndef LOUPE_PROFILE_H
#define LOUPE_PROFILE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames kept per stack (the kernel's default perf_event_max_stack). A
 * stack this deep may have been cut: user space marks it truncated. */
#define LOUPE_PROFILE_MAX_DEPTH 127
/* Distinct kernel stacks, and distinct user stacks, per set. */
#define LOUPE_PROFILE_MAX_STACKS 4096
/* Distinct (tgid, user stack, kernel stack) triples per set. */
#define LOUPE_PROFILE_MAX_COUNTS 8192
#define LOUPE_PROFILE_COMM_LEN 16

/* ---- User stacks unwound from .eh_frame (x86-64) ----
 *
 * Code built without frame pointers (most of Debian, glibc included) cannot
 * be walked through RBP. For such code the agent computes unwind rows from
 * each mapped object's .eh_frame in user space (src/agent/profile/
 * unwind_table.*) and hands them to the program (unwind_loader.*):
 *
 *   unwind_rows   one array holding the rows of every loaded object, each
 *                 object's rows contiguous and sorted by pc;
 *   unwind_procs  per process (tgid): its executable mappings, sorted by
 *                 start, each naming its object's rows (none: no table,
 *                 that frame is walked through the frame pointer).
 *
 * A row says, from its pc up to the next row's pc, how to find the caller:
 * CFA (the stack pointer before the call) = RSP or RBP + cfa_offset; the
 * return address is at CFA - 8 (rows where it is not are UNSUPPORTED); the
 * caller's RBP is saved at CFA + rbp_offset or still in RBP. Row pcs are
 * relative to the object's base: pc - mapping.bias is looked up.
 *
 * A process without an unwind_procs entry gets the kernel's frame-pointer
 * walk (bpf_get_stack), as on arm64, where only frame pointers are used,
 * and is put in unwind_wanted for user space to load. So is a process with
 * a pc in none of its mappings (a library opened since). An exec deletes
 * the process's entry (its mappings are gone). */
#define LOUPE_UNWIND_MAX_ROWS (512 * 1024) /* rows of all objects: 8 MiB */
#define LOUPE_UNWIND_MAX_PROCS 1024        /* processes with tables */
#define LOUPE_UNWIND_MAX_MAPPINGS 64       /* executable mappings per process (power of 2) */
#define LOUPE_UNWIND_MAX_WANTED 1024       /* processes waiting for user space */

/* Why a process is in unwind_wanted. */
enum loupe_unwind_want {
  LOUPE_UNWIND_WANT_NEW = 1,      /* no tables yet */
  LOUPE_UNWIND_WANT_UNMAPPED = 2, /* a pc outside every mapping it has */
};

/* An unwind_wanted value: the agent loads the processes sampled most first. */
struct loupe_unwind_wanted {
  __u32 why;     /* enum loupe_unwind_want, of the first such sample */
  __u32 samples; /* since user space last looked */
};

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

struct loupe_unwind_mapping {
  __u64 start, end; /* the mapping's addresses, end exclusive */
  __u64 bias;       /* pc - bias is a row pc of the object */
  __u32 first_row;  /* index in unwind_rows */
  __u32 rows;       /* 0: no table, frame pointers */
};

struct loupe_unwind_proc {
  __u32 mappings; /* used entries of `mapping`, sorted by start */
  __u32 pad;
  __u64 last_sample_ns; /* written by the program (bpf_ktime_get_ns): when row space
                         * runs out, processes idle for a while give theirs up */
  struct loupe_unwind_mapping mapping[LOUPE_UNWIND_MAX_MAPPINGS];
};

/* Per-CPU counters, summed by user space. */
enum loupe_profile_stat {
  LOUPE_PROFILE_STAT_SAMPLES = 0,      /* samples of a non-idle task that passed the filter */
  LOUPE_PROFILE_STAT_COUNTS_FULL,      /* samples dropped: the counts map was full */
  LOUPE_PROFILE_STAT_STACKS_FULL,      /* stacks lost: stack map full or a hash collision */
  LOUPE_PROFILE_STAT_STACK_ERRORS,     /* stacks lost for another reason (unreadable memory) */
  LOUPE_PROFILE_STAT_UNWIND_NO_TABLE,  /* user stacks of a process whose tables were not
                                        * loaded yet: frame pointers only */
  LOUPE_PROFILE_STAT_UNWIND_TRUNCATED, /* user stacks the unwinder stopped early */
  LOUPE_PROFILE_STAT_MAX,
};

/* Stack id meaning "no stack": a kernel thread has no user stack, a task
 * interrupted in user mode has no kernel stack. */
#define LOUPE_PROFILE_NO_STACK (-1)
/* Stack id meaning "the stack was taken but could not be stored". */
#define LOUPE_PROFILE_LOST_STACK (-2)

/* user_stack values that are not a key of the user stack map. */
#define LOUPE_PROFILE_NO_USER_STACK 0
#define LOUPE_PROFILE_LOST_USER_STACK 1

struct loupe_profile_key {
  __u32 tgid;
  __s32 kernel_stack_id; /* id in the stack map, or NO_STACK / LOST_STACK */
  __u64 user_stack;      /* key in the user stack map (a hash of its frames, >= 2),
                          * or NO_USER_STACK / LOST_USER_STACK */
};

/* A user stack stopped before its outermost frame (a rule the unwinder
 * cannot follow, unreadable stack memory, the depth limit): user space
 * shows it under a "[truncated]" frame. */
#define LOUPE_PROFILE_STACK_TRUNCATED 1

struct loupe_profile_user_stack {
  __u32 len;   /* frames used in ips, leaf first */
  __u32 flags; /* LOUPE_PROFILE_STACK_TRUNCATED */
  __u64 ips[LOUPE_PROFILE_MAX_DEPTH];
};

struct loupe_profile_value {
  __u64 samples;
  char comm[LOUPE_PROFILE_COMM_LEN]; /* of the first thread sampled */
};

#endif
