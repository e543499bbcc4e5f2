// The function table of a Go binary's `.gopclntab` section: the runtime's
// own table of every Go function's address range and name, which `go build
// -ldflags=-s -w` keeps (the runtime needs it for tracebacks) when it strips
// `.symtab`. Layouts of Go 1.16 (magic 0xfffffffa) and Go 1.18 and later
// (0xfffffff0; 0xfffffff1 since 1.20), either byte order, as documented in
// the Go sources (src/runtime/symtab.go's pcHeader and _func, the linker's
// cmd/link/internal/ld/pcln.go). Every offset is checked against the
// section: a corrupt table gives an error or fewer functions, never a read
// outside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::profile {

struct GoFunction {
  uint64_t entry = 0;     // virtual address of its first instruction
  uint64_t end = 0;       // exclusive: the next function's entry
  std::string_view name;  // into the section: "main.hot", "net/http.(*conn).serve"
};

// The functions in `section` (the bytes of `.gopclntab`), sorted by entry.
// `text_address` is the virtual address of `.text` (runtime.text): Go 1.18+
// tables give entries relative to it, and the header's own copy of it may
// be unrelocated in a position-independent binary. Empty with *error when
// the section is not a pclntab this reader knows (older Go, corrupt).
std::vector<GoFunction> read_go_pclntab(std::string_view section, uint64_t text_address,
                                        std::string* error);

}  // namespace loupe::profile
