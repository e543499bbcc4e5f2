/* The profiler's user stack unwinder (contract: profile.h), included by
 * profile.bpf.c. On x86-64 it follows the .eh_frame rows the agent loaded
 * for the process and frame pointers where there are none; elsewhere, and
 * for a process without tables, it takes the kernel's frame-pointer walk. */
#ifndef LOUPE_PROFILE_UNWIND_BPF_H
#define LOUPE_PROFILE_UNWIND_BPF_H

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, LOUPE_UNWIND_MAX_ROWS);
  __type(key, __u32);
  __type(value, struct loupe_unwind_row);
} unwind_rows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LOUPE_UNWIND_MAX_PROCS);
  __uint(map_flags, BPF_F_NO_PREALLOC); /* ~2 KiB per process: only those loaded */
  __type(key, __u32);
  __type(value, struct loupe_unwind_proc);
} unwind_procs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LOUPE_UNWIND_MAX_WANTED);
  __type(key, __u32);
  __type(value, struct loupe_unwind_wanted);
} unwind_wanted SEC(".maps");

/* The stack being built: too big for the BPF stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct loupe_profile_user_stack);
} user_scratch SEC(".maps");

static __always_inline void want_tables(__u32 tgid, __u32 why) {
  struct loupe_unwind_wanted* w = bpf_map_lookup_elem(&unwind_wanted, &tgid);
  if (w) {
    __sync_fetch_and_add(&w->samples, 1);
    return;
  }
  struct loupe_unwind_wanted fresh = {.why = why, .samples = 1};
  bpf_map_update_elem(&unwind_wanted, &tgid, &fresh, BPF_NOEXIST);
}

static __always_inline __u64 mix(__u64 h, __u64 v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

#if defined(__TARGET_ARCH_x86)

/* Binary search steps: enough for LOUPE_UNWIND_MAX_MAPPINGS and _ROWS. */
#define MAPPING_STEPS 7
#define ROW_STEPS 20

struct unwind_walk {
  __u64 pc, sp, bp;
  __u64 hash;
  struct loupe_unwind_proc* proc;
  struct loupe_profile_user_stack* out;
  __u32 tgid;
  __u8 bp_known; /* RBP holds the caller's value (no UNDEFINED rule passed) */
  __u8 ended;    /* reached the outermost frame, or gave up (see out->flags) */
};

/* The binary searches run as bpf_loop callbacks: the verifier checks a
 * callback once, where it would walk an inline loop once per iteration
 * (seconds of load time for the two nested in the frame loop). */
struct mapping_search {
  struct loupe_unwind_proc* proc;
  __u64 pc;
  __u32 lo, hi; /* the answer is below hi; entries below lo start at or before pc */
};

static long mapping_search_step(__u32 i, void* arg) {
  struct mapping_search* s = arg;
  if (s->lo >= s->hi) return 1;
  __u32 mid = (s->lo + s->hi) / 2;
  if (s->proc->mapping[mid & (LOUPE_UNWIND_MAX_MAPPINGS - 1)].start <= s->pc)
    s->lo = mid + 1;
  else
    s->hi = mid;
  return 0;
}

static __always_inline struct loupe_unwind_mapping* mapping_of(struct loupe_unwind_proc* p,
                                                               __u64 pc) {
  struct mapping_search s = {.proc = p, .pc = pc, .lo = 0, .hi = p->mappings};
  if (s.hi > LOUPE_UNWIND_MAX_MAPPINGS) s.hi = LOUPE_UNWIND_MAX_MAPPINGS;
  bpf_loop(MAPPING_STEPS, mapping_search_step, &s, 0);
  if (s.lo == 0) return 0;
  struct loupe_unwind_mapping* m = &p->mapping[(s.lo - 1) & (LOUPE_UNWIND_MAX_MAPPINGS - 1)];
  return pc < m->end ? m : 0;
}

struct row_search {
  __u32 lo, hi;
  __u32 pc;
};

static long row_search_step(__u32 i, void* arg) {
  struct row_search* s = arg;
  if (s->lo >= s->hi) return 1;
  __u32 mid = s->lo + (s->hi - s->lo) / 2;
  struct loupe_unwind_row* r = bpf_map_lookup_elem(&unwind_rows, &mid);
  if (!r) {
    s->hi = s->lo; /* out of the array: a bad entry, no row */
    return 1;
  }
  if (r->pc <= s->pc)
    s->lo = mid + 1;
  else
    s->hi = mid;
  return 0;
}

/* The row covering `pc` in rows [first, first + n), or 0. */
static __always_inline struct loupe_unwind_row* row_of(__u32 first, __u32 n, __u64 pc) {
  if (pc > 0xffffffffULL) return 0;
  struct row_search s = {.lo = first, .hi = first + n, .pc = (__u32)pc};
  bpf_loop(ROW_STEPS, row_search_step, &s, 0);
  if (s.lo <= first) return 0;
  __u32 at = s.lo - 1;
  return bpf_map_lookup_elem(&unwind_rows, &at);
}

static __always_inline long stop(struct unwind_walk* w, __u32 flags) {
  w->out->flags |= flags;
  w->ended = 1;
  return 1;
}

/* One frame through the frame pointer: [RBP] is the caller's RBP, [RBP+8]
 * the return address. A chain that ends (RBP 0) ends the stack. */
static __always_inline long frame_pointer_step(struct unwind_walk* w) {
  if (!w->bp_known) return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  if (w->bp == 0) return stop(w, 0);
  __u64 saved[2];
  if (bpf_probe_read_user(saved, sizeof(saved), (void*)w->bp) != 0)
    return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  if (saved[0] != 0 && saved[0] <= w->bp) return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  w->sp = w->bp + 16;
  w->bp = saved[0];
  w->pc = saved[1];
  return 0;
}

static long unwind_step(__u32 i, void* arg) {
  struct unwind_walk* w = arg;
  struct loupe_profile_user_stack* out = w->out;
  __u32 n = out->len;
  if (n >= LOUPE_PROFILE_MAX_DEPTH) return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  if (w->pc == 0) return stop(w, 0);
  out->ips[n] = w->pc;
  out->len = n + 1;
  w->hash = mix(w->hash, w->pc);

  struct loupe_unwind_mapping* m = mapping_of(w->proc, w->pc);
  if (!m) {
    want_tables(w->tgid, LOUPE_UNWIND_WANT_UNMAPPED);
    return frame_pointer_step(w);
  }
  if (m->rows == 0) return frame_pointer_step(w);
  /* A return address is looked up one byte back: the call, not what
   * follows it (a call to a noreturn function can end its function). */
  __u64 pc = (n == 0 ? w->pc : w->pc - 1) - m->bias;
  struct loupe_unwind_row* r = row_of(m->first_row, m->rows, pc);
  if (!r || r->cfa_rule == LOUPE_UNWIND_CFA_NONE) return frame_pointer_step(w);
  if (r->cfa_rule == LOUPE_UNWIND_CFA_END) return stop(w, 0);

  __u64 cfa;
  if (r->cfa_rule == LOUPE_UNWIND_CFA_RSP) {
    cfa = w->sp + r->cfa_offset;
  } else if (r->cfa_rule == LOUPE_UNWIND_CFA_RBP) {
    if (!w->bp_known) return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
    cfa = w->bp + r->cfa_offset;
  } else if (r->cfa_rule == LOUPE_UNWIND_CFA_PLT) {
    cfa = w->sp + r->cfa_offset + ((w->pc & 15) >= 11 ? 8 : 0);
  } else {
    return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  }
  /* The caller's frame is above this one: anything else is a bad rule or
   * a corrupt stack, and would loop. */
  if (cfa <= w->sp) return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  __u64 ra;
  if (bpf_probe_read_user(&ra, sizeof(ra), (void*)(cfa - 8)) != 0)
    return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
  if (r->rbp_rule == LOUPE_UNWIND_RBP_AT_CFA) {
    if (bpf_probe_read_user(&w->bp, sizeof(w->bp), (void*)(cfa + r->rbp_offset)) != 0)
      return stop(w, LOUPE_PROFILE_STACK_TRUNCATED);
    w->bp_known = 1;
  } else if (r->rbp_rule == LOUPE_UNWIND_RBP_UNDEFINED) {
    w->bp_known = 0;
  }
  w->sp = cfa;
  w->pc = ra;
  return 0;
}

/* The user registers of the sampled task, as saved on its kernel stack
 * when it entered the kernel: by this very interrupt when it was running
 * user code, by its syscall or fault when it was in the kernel. */
static __always_inline int user_regs(struct unwind_walk* w) {
  struct task_struct* task = bpf_get_current_task_btf();
  if (!task->mm) return -1; /* a kernel thread: no user stack */
  struct pt_regs* regs = (struct pt_regs*)bpf_task_pt_regs(task);
  if (!regs) return -1;
  w->pc = regs->ip;
  w->sp = regs->sp;
  w->bp = regs->bp;
  return 0;
}

/* Unwinds through the process's tables into `out`; false when the process
 * has none (the caller takes the kernel's walk). */
static __always_inline int unwind_with_tables(struct bpf_perf_event_data* ctx, __u32 tgid,
                                              struct loupe_profile_user_stack* out, __u64* hash) {
  struct loupe_unwind_proc* proc = bpf_map_lookup_elem(&unwind_procs, &tgid);
  if (!proc) return 0;
  proc->last_sample_ns = bpf_ktime_get_ns();
  struct unwind_walk w = {.proc = proc, .out = out, .tgid = tgid, .bp_known = 1};
  if (user_regs(&w) != 0) return 1; /* no user stack: out->len stays 0 */
  bpf_loop(LOUPE_PROFILE_MAX_DEPTH + 1, unwind_step, &w, 0);
  if (!w.ended) out->flags |= LOUPE_PROFILE_STACK_TRUNCATED;
  *hash = w.hash;
  return 1;
}

#else /* frame pointers only */

static __always_inline int unwind_with_tables(struct bpf_perf_event_data* ctx, __u32 tgid,
                                              struct loupe_profile_user_stack* out, __u64* hash) {
  return 0;
}

#endif

/* The sampled task's user stack into `out`, and its hash. */
static __always_inline void unwind_user(struct bpf_perf_event_data* ctx, __u32 tgid,
                                        struct loupe_profile_user_stack* out, __u64* hash) {
  out->len = 0;
  out->flags = 0;
  *hash = 0;
  if (unwind_with_tables(ctx, tgid, out, hash)) return;
#if defined(__TARGET_ARCH_x86)
  want_tables(tgid, LOUPE_UNWIND_WANT_NEW);
  stat_inc(LOUPE_PROFILE_STAT_UNWIND_NO_TABLE);
#endif
  long bytes = bpf_get_stack(ctx, out->ips, sizeof(out->ips), BPF_F_USER_STACK);
  if (bytes <= 0) return;
  __u32 len = bytes / sizeof(__u64);
  if (len >= LOUPE_PROFILE_MAX_DEPTH) {
    len = LOUPE_PROFILE_MAX_DEPTH;
    out->flags |= LOUPE_PROFILE_STACK_TRUNCATED;
  }
  out->len = len;
  for (__u32 i = 0; i < LOUPE_PROFILE_MAX_DEPTH; i++) {
    if (i >= len) break;
    *hash = mix(*hash, out->ips[i]);
  }
}

#endif
