// Where a function returns: the offsets of its RET instructions, found by
// disassembling its machine code with capstone. Go's crypto/tls.(*Conn).Read
// gets a uprobe on each of them instead of a uretprobe (see
// bpf/go_tls.bpf.h for why).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::gotls {

struct Returns {
  std::vector<uint64_t> offsets;  // from the start of the code, ascending
  std::string error;              // why the code could not be decoded (offsets then empty)
};

// The return instructions in `code`, one function's bytes, for an ELF
// machine (EM_X86_64: linear sweep, any undecodable byte is an error;
// EM_AARCH64: every 4-byte word, undecodable words skipped).
Returns find_returns(std::string_view code, uint16_t elf_machine);

}  // namespace loupe::gotls
