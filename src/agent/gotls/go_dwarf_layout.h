// The crypto/tls.Conn -> socket offsets (go_layout.h) as a Go program's own
// DWARF describes them: exact for its Go version, architecture and any
// patched toolchain. Read with elfutils' libdw; a program without DWARF
// (-ldflags=-w, stripped) or with a malformed one gives nullopt.
#pragma once

#include <libelf.h>

#include <optional>

#include "agent/gotls/go_layout.h"

namespace loupe::gotls {

// Finds the structs crypto/tls.Conn, net.conn, net.netFD and
// internal/poll.FD among the top-level types of each compile unit, and
// their members conn, fd, pfd and Sysfd. nullopt unless all four are there.
std::optional<GoTlsLayout> dwarf_go_tls_layout(Elf* elf);

}  // namespace loupe::gotls
