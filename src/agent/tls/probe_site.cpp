#include "agent/tls/probe_site.h"

#include <elf.h>

#include <algorithm>
#include <iterator>

#include "agent/capstone_library.h"

namespace loupe::tls {
namespace {

// Instructions arch/x86/kernel/uprobes.c emulates, by their exact encoding:
// relative jcc/jmp/call without prefixes (branch_setup_xol_ops) and push of
// a general register (push_setup_xol_ops, Linux 6.9+; older kernels
// single-step it, as they would the entry).
bool emulated(const cs_insn& in) {
  const uint8_t* b = in.bytes;
  switch (in.size) {
    case 1:
      return b[0] >= 0x50 && b[0] <= 0x57;  // push %rax..%rdi
    case 2:
      return (b[0] >= 0x70 && b[0] <= 0x7f) || b[0] == 0xeb ||  // jcc/jmp rel8
             (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57);    // push %r8..%r15
    case 5:
      return b[0] == 0xe8 || b[0] == 0xe9;  // call/jmp rel32
    case 6:
      return b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;  // jcc rel32
  }
  return false;
}

bool transfers_control(const CapstoneApi& cs, csh h, const cs_insn& in) {
  for (cs_group_type g : {CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_RET, CS_GRP_INT, CS_GRP_IRET})
    if (cs.insn_group(h, &in, g)) return true;
  return false;
}

// Writes one of the registers the entry programs read (PT_REGS_PARM1-4).
bool writes_argument(const CapstoneApi& cs, csh h, const cs_insn& in) {
  static constexpr x86_reg kArgs[] = {
      X86_REG_RDI, X86_REG_EDI, X86_REG_DI,  X86_REG_DIL, X86_REG_RSI, X86_REG_ESI,
      X86_REG_SI,  X86_REG_SIL, X86_REG_RDX, X86_REG_EDX, X86_REG_DX,  X86_REG_DL,
      X86_REG_DH,  X86_REG_RCX, X86_REG_ECX, X86_REG_CX,  X86_REG_CL,  X86_REG_CH};
  cs_regs read, written;
  uint8_t nread = 0, nwritten = 0;
  if (cs.regs_access(h, &in, read, &nread, written, &nwritten) != CS_ERR_OK)
    return true;  // unknown: assume the worst
  for (uint8_t i = 0; i < nwritten; ++i)
    if (std::find(std::begin(kArgs), std::end(kArgs), written[i]) != std::end(kArgs)) return true;
  return false;
}

// The target of a direct jmp/jcc/call, as an offset in the function (capstone
// decodes from address 0); -1 for everything else.
int64_t direct_target(const CapstoneApi& cs, csh h, const cs_insn& in) {
  if (!cs.insn_group(h, &in, CS_GRP_JUMP) && !cs.insn_group(h, &in, CS_GRP_CALL)) return -1;
  const cs_x86& x = in.detail->x86;
  if (x.op_count != 1 || x.operands[0].type != X86_OP_IMM) return -1;
  return x.operands[0].imm;
}

}  // namespace

uint64_t emulated_entry_offset(std::string_view code, uint16_t elf_machine) {
  if (elf_machine != EM_X86_64 || code.empty()) return 0;
  CapstoneLibrary capstone;
  if (!capstone.api()) return 0;
  const CapstoneApi& cs = *capstone.api();
  csh h = 0;
  if (cs.open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) return 0;
  cs.option(h, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insns = nullptr;
  size_t n = cs.disasm(h, reinterpret_cast<const uint8_t*>(code.data()), code.size(), 0, 0, &insns);
  uint64_t site = 0;
  // The whole function must decode: a site is trusted only when every
  // branch in the function is known not to land before it.
  bool whole = n > 0 && insns[n - 1].address + insns[n - 1].size == code.size();
  constexpr size_t kPrologue = 32;  // instructions looked at before giving up
  for (size_t i = 0; whole && i < n && i < kPrologue; ++i) {
    const cs_insn& in = insns[i];
    if (emulated(in)) {
      site = in.address;
      break;
    }
    if (transfers_control(cs, h, in) || writes_argument(cs, h, in)) break;
  }
  for (size_t i = 0; site && i < n; ++i) {
    int64_t t = direct_target(cs, h, insns[i]);
    if (t > 0 && static_cast<uint64_t>(t) <= site) site = 0;  // would run the site twice
  }
  if (insns) cs.free(insns, n);
  cs.close(&h);
  return site;
}

}  // namespace loupe::tls
