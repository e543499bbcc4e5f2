// What Loupe needs from a Go executable to probe its crypto/tls: the Go
// version (.go.buildinfo), where crypto/tls.(*Conn).Read and Write are and
// where they return (.symtab and their machine code), the address of the
// *net.TCPConn itab, and the socket's offsets from its DWARF. Read with
// libelf and libdw from files any process may bring along: a malformed
// file gives an error, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gotls/go_layout.h"

namespace loupe::gotls {

struct GoFunction {
  uint64_t address = 0;      // the symbol's virtual address
  uint64_t file_offset = 0;  // where its first instruction is in the file (a uprobe's offset)
  uint64_t size = 0;
  std::vector<uint64_t> returns;  // file offsets of its RET instructions
  std::string returns_error;      // why they could not be found (returns then empty)
};

struct GoBinary {
  std::string version;                      // "go1.19.8"; empty when the build info cannot be read
  uint16_t machine = 0;                     // EM_X86_64, EM_AARCH64...
  bool position_independent = false;        // ET_DYN: its addresses move at load
  bool has_symbols = false;                 // a .symtab (stripped programs have none)
  std::optional<GoFunction> read;           // crypto/tls.(*Conn).Read
  std::optional<GoFunction> write;          // crypto/tls.(*Conn).Write
  uint64_t tcp_conn_itab = 0;               // go.itab.*net.TCPConn,net.Conn; 0 when absent
  std::optional<GoTlsLayout> dwarf_layout;  // from its DWARF, when it has one
};

// nullopt when the file is not a Go program; `error` then says why it
// could not be read at all (empty: a readable ELF that is just not Go).
std::optional<GoBinary> inspect_go_binary(const std::string& path, std::string* error);
// The same from the bytes of a file (tests, fuzzing).
std::optional<GoBinary> inspect_go_binary_bytes(std::string_view bytes, std::string* error);

}  // namespace loupe::gotls
