#include "agent/gotls/ret_offsets.h"

#include <elf.h>

#include "agent/capstone_library.h"

namespace loupe::gotls {
namespace {

// A capstone handle and one instruction buffer, released on every path.
class Disassembler {
 public:
  Disassembler(const CapstoneApi& cs, cs_arch arch, cs_mode mode) : cs_(cs) {
    if (cs_.open(arch, mode, &handle_) != CS_ERR_OK) {
      handle_ = 0;
      return;
    }
    insn_ = cs_.malloc(handle_);
  }
  ~Disassembler() {
    if (insn_) cs_.free(insn_, 1);
    if (handle_) cs_.close(&handle_);
  }
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  bool ok() const { return insn_ != nullptr; }
  // Decodes the instruction at `code`; false when it is not one.
  bool next(const uint8_t*& code, size_t& size, uint64_t& address) {
    return cs_.disasm_iter(handle_, &code, &size, &address, insn_);
  }
  unsigned id() const { return insn_->id; }

 private:
  const CapstoneApi& cs_;
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
};

}  // namespace

Returns find_returns(std::string_view code, uint16_t elf_machine) {
  Returns out;
  bool x86 = elf_machine == EM_X86_64;
  if (!x86 && elf_machine != EM_AARCH64) {
    out.error = "no disassembler for ELF machine " + std::to_string(elf_machine);
    return out;
  }
  CapstoneLibrary capstone;
  if (!capstone.api()) {
    out.error = capstone.error();
    return out;
  }
  Disassembler dis(*capstone.api(), x86 ? CS_ARCH_X86 : CS_ARCH_ARM64,
                   x86 ? CS_MODE_64 : CS_MODE_ARM);
  if (!dis.ok()) {
    out.error = "capstone cannot open its disassembler";
    return out;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(code.data());
  size_t left = code.size();
  uint64_t offset = 0;  // capstone's "address": the offset in `code`
  while (left > 0) {
    uint64_t at = offset;
    if (dis.next(p, left, offset)) {
      if (dis.id() == (x86 ? unsigned{X86_INS_RET} : unsigned{ARM64_INS_RET}))
        out.offsets.push_back(at);
      continue;
    }
    if (x86) {
      // Variable length: nothing after an undecodable byte can be trusted,
      // and a probe on a byte that is not an instruction start breaks code.
      out.offsets.clear();
      out.error = "undecodable instruction at +" + std::to_string(at);
      return out;
    }
    if (left < 4) break;  // fixed width: skip the word (a literal in the code)
    p += 4;
    left -= 4;
    offset += 4;
  }
  return out;
}

}  // namespace loupe::gotls
