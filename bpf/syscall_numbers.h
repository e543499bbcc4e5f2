/* Syscall numbers and register access for the architectures Loupe builds
 * for. The BTF sys_exit tracepoint (tp_btf) gets the saved user registers as
 * a typed kernel pointer, so the syscall number (orig_ax on x86-64, x8 on
 * arm64) and the arguments are plain loads: no bpf_probe_read_kernel call
 * per syscall (every syscall on the host runs the program). */
#ifndef LOUPE_SYSCALL_NUMBERS_H
#define LOUPE_SYSCALL_NUMBERS_H

/* recv flags (include/linux/socket.h, the same on every architecture). */
#define LOUPE_MSG_PEEK 0x2

#if defined(__TARGET_ARCH_x86)
#define LOUPE_NR_read 0
#define LOUPE_NR_write 1
#define LOUPE_NR_close 3
#define LOUPE_NR_readv 19
#define LOUPE_NR_writev 20
#define LOUPE_NR_sendfile 40
#define LOUPE_NR_connect 42
#define LOUPE_NR_accept 43
#define LOUPE_NR_sendto 44
#define LOUPE_NR_recvfrom 45
#define LOUPE_NR_sendmsg 46
#define LOUPE_NR_recvmsg 47
#define LOUPE_NR_accept4 288
#define LOUPE_NR_recvmmsg 299
#define LOUPE_NR_sendmmsg 307
#define LOUPE_SYSCALL_NR(regs) ((regs)->orig_ax)
#define LOUPE_SYSCALL_ARG1(regs) ((regs)->di)
#define LOUPE_SYSCALL_ARG2(regs) ((regs)->si)
#define LOUPE_SYSCALL_ARG3(regs) ((regs)->dx)
#define LOUPE_SYSCALL_ARG4(regs) ((regs)->r10)
#define LOUPE_SYSCALL_ARG5(regs) ((regs)->r8)
/* Every traced number is below 512: one bounds check plus a bitmap test. */
#define LOUPE_TRACED_MASK_0                                                               \
  ((1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 19) | (1ULL << 20) | (1ULL << 40) | \
   (1ULL << 42) | (1ULL << 43) | (1ULL << 44) | (1ULL << 45) | (1ULL << 46) | (1ULL << 47))
static __always_inline int loupe_is_traced_syscall(long nr) {
  if (nr >= 0 && nr < 64) return (LOUPE_TRACED_MASK_0 >> nr) & 1;
  return nr == LOUPE_NR_accept4 || nr == LOUPE_NR_recvmmsg || nr == LOUPE_NR_sendmmsg;
}
#elif defined(__TARGET_ARCH_arm64)
#define LOUPE_NR_close 57
#define LOUPE_NR_read 63
#define LOUPE_NR_write 64
#define LOUPE_NR_readv 65
#define LOUPE_NR_writev 66
#define LOUPE_NR_sendfile 71
#define LOUPE_NR_accept 202
#define LOUPE_NR_connect 203
#define LOUPE_NR_sendto 206
#define LOUPE_NR_recvfrom 207
#define LOUPE_NR_sendmsg 211
#define LOUPE_NR_recvmsg 212
#define LOUPE_NR_accept4 242
#define LOUPE_NR_recvmmsg 243
#define LOUPE_NR_sendmmsg 269
/* x0 holds the return value by the time the syscall exits: the first
 * argument is in orig_x0. */
#define LOUPE_SYSCALL_NR(regs) ((regs)->regs[8])
#define LOUPE_SYSCALL_ARG1(regs) ((regs)->orig_x0)
#define LOUPE_SYSCALL_ARG2(regs) ((regs)->regs[1])
#define LOUPE_SYSCALL_ARG3(regs) ((regs)->regs[2])
#define LOUPE_SYSCALL_ARG4(regs) ((regs)->regs[3])
#define LOUPE_SYSCALL_ARG5(regs) ((regs)->regs[4])
static __always_inline int loupe_is_traced_syscall(long nr) {
  switch (nr) {
    case LOUPE_NR_close:
    case LOUPE_NR_read:
    case LOUPE_NR_write:
    case LOUPE_NR_readv:
    case LOUPE_NR_writev:
    case LOUPE_NR_sendfile:
    case LOUPE_NR_accept:
    case LOUPE_NR_connect:
    case LOUPE_NR_sendto:
    case LOUPE_NR_recvfrom:
    case LOUPE_NR_sendmsg:
    case LOUPE_NR_recvmsg:
    case LOUPE_NR_accept4:
    case LOUPE_NR_recvmmsg:
    case LOUPE_NR_sendmmsg:
      return 1;
  }
  return 0;
}
#else
#error "socket tracer: unsupported architecture"
#endif

#endif /* LOUPE_SYSCALL_NUMBERS_H */
