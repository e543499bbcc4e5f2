/* Shared by kernel_names.bpf.c and the agent
 * (src/agent/profile/kernel_name_lookup.*).
 *
 * User space writes up to LOUPE_KERNEL_NAMES_BATCH kernel addresses and
 * their count into the program's .bss, runs it once with BPF_PROG_RUN, and
 * reads each address's name back from the same .bss (mapped into user
 * space): the kernel's own symbol lookup, without /proc/kallsyms. */
#ifndef LOUPE_KERNEL_NAMES_H
#define LOUPE_KERNEL_NAMES_H

/* Addresses named per run (one system call). */
#define LOUPE_KERNEL_NAMES_BATCH 128
/* Bytes per name, with its " [module]" and the terminating zero. The
 * kernel's longest names are far shorter (KSYM_NAME_LEN is 512, for Rust's
 * mangled names); a longer one is cut. */
#define LOUPE_KERNEL_NAME_SIZE 256

#endif
