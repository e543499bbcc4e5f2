// SPDX-License-Identifier: GPL-2.0
/* Names kernel addresses with the kernel's symbol lookup, the one behind
 * printk's "%ps" (see kernel_names.h). Never attached: user space runs it
 * with BPF_PROG_RUN, a batch of addresses a run. */
// clang-format off: vmlinux.h must come first
#include "vmlinux.h"
// clang-format on

#include <bpf/bpf_helpers.h>

#include "kernel_names.h"

char LICENSE[] SEC("license") = "GPL";

/* In: how many of `addrs` to name. */
__u32 count = 0;
__u64 addrs[LOUPE_KERNEL_NAMES_BATCH];
/* Out: "function" or "function [module]"; "0x..." (the address) when the
 * kernel knows no symbol there. */
char names[LOUPE_KERNEL_NAMES_BATCH][LOUPE_KERNEL_NAME_SIZE];

static long name_one(__u32 i, void* ctx) {
  if (i >= LOUPE_KERNEL_NAMES_BATCH) return 1;
  bpf_snprintf(names[i], sizeof(names[i]), "%ps", &addrs[i], sizeof(addrs[i]));
  return 0;
}

SEC("syscall")
int loupe_kernel_names(void* ctx) {
  __u32 n = count;
  bpf_loop(n < LOUPE_KERNEL_NAMES_BATCH ? n : LOUPE_KERNEL_NAMES_BATCH, name_one, 0, 0);
  return 0;
}
