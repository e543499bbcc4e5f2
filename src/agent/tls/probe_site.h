// Where an entry-only uprobe should sit in a function so that the kernel
// emulates the probed instruction instead of single-stepping it.
//
// An x86-64 uprobe replaces the instruction with int3; on the trap the
// kernel either emulates the original instruction (relative jmp/jcc/call,
// push of a register, nop) or copies it to a page of the process and
// single-steps it there, which costs a second trap. OpenSSL 3's SSL_write
// and SSL_write_ex start with `sub $N,%rsp` (single-stepped); measured on
// the 2-core PVM VM of docs/benchmarks.md ("The floors"): 20 µs of CPU per
// call probed at the entry, 5.6 µs probed at the function's first
// conditional jump (bench/hook_cost.c). Bare metal: ~0.9 vs ~0.3 µs
// (uprobe-ret vs uprobe-nop in the kernel's own uprobe benchmark).
//
// A later site is only taken when it is equivalent to the entry for the BPF
// program: every call reaches it exactly once (straight-line code before
// it, nothing in the function jumps back into that stretch) and the four
// argument registers the program reads (rdi, rsi, rdx, rcx) still hold the
// arguments. Functions with a return probe keep their entry site: the
// kernel plants the return probe at the entry, where the return address is
// on top of the stack.
#pragma once

#include <cstdint>
#include <string_view>

namespace loupe::tls {

// The offset from the function's entry of the first instruction an x86-64
// uprobe emulates, when it is equivalent to the entry as above; 0 (the
// entry) otherwise, for other ELF machines, and when `code` (the whole
// function's bytes) cannot be decoded.
uint64_t emulated_entry_offset(std::string_view code, uint16_t elf_machine);

}  // namespace loupe::tls
