// SPDX-License-Identifier: GPL-2.0
/* Programs that do nothing, for bench/hook_cost.c: attached where Loupe
 * attaches its own (sys_exit, and uprobes and uretprobes on
 * OpenSSL), they measure what the hooks cost before any BPF work — the
 * floor no program can go below. */
// The libbpf header needs the kernel types first.
// clang-format off
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
// clang-format on

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tracepoint/sys_exit")
int bare_sys_exit(void* ctx) { return 0; }

SEC("uprobe")
int bare_uprobe(void* ctx) { return 0; }

SEC("uretprobe")
int bare_uretprobe(void* ctx) { return 0; }
