// Where a Go program keeps the socket of a *crypto/tls.Conn: the offsets of
// tls.Conn.conn (a net.Conn interface), net.conn.fd, netFD.pfd and
// poll.FD.Sysfd. Read from the program's DWARF when it has some
// (go_dwarf_layout.h), else taken from the known layouts of Go versions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/gotls/go_buildinfo.h"

namespace loupe::gotls {

struct GoTlsLayout {
  uint32_t conn = 0;   // tls.Conn.conn
  uint32_t fd = 0;     // net.conn.fd
  uint32_t pfd = 0;    // netFD.pfd
  uint32_t sysfd = 0;  // poll.FD.Sysfd
  std::string source;  // "dwarf" or "go1.N layout": shown in the agent's status
  bool operator==(const GoTlsLayout& o) const {
    return conn == o.conn && fd == o.fd && pfd == o.pfd && sysfd == o.sysfd;
  }
};

// The first Go version that passes arguments in registers (ABIInternal) on
// an ELF machine: 1.17 on x86-64, 1.18 on arm64; nullopt for the others.
// The probes read arguments there.
std::optional<GoVersion> register_abi_since(uint16_t elf_machine);

// The newest Go version whose layout was checked against its sources.
inline constexpr GoVersion kNewestKnownLayout{1, 23};

// The layout of 64-bit Go 1.17 up to kNewestKnownLayout (identical in all
// of them: conn, fd and pfd are their structs' first fields, and Sysfd
// follows poll.FD's 16-byte fdMutex); later versions are assumed to keep it.
// nullopt before Go 1.17.
std::optional<GoTlsLayout> known_go_tls_layout(const GoVersion& version);

}  // namespace loupe::gotls
