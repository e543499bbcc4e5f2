// The Go version a program was built with, from its .go.buildinfo section,
// and what Loupe needs to know about that version. The section is read
// from files any process may bring along: every length and pointer in it is
// checked against what is really there.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace loupe::gotls {

// Resolves `len` bytes at a virtual address of the program (empty when the
// address is not in the file): the pointer form of the section (Go < 1.18)
// points at runtime.buildVersion.
using ReadAt = std::function<std::string_view(uint64_t address, uint64_t len)>;

// "go1.19.8", "go1.21rc2", "devel go1.23-abcdef ..." or "" when the section
// is not a Go build info or its version cannot be read.
std::string go_buildinfo_version(std::string_view section, const ReadAt& read_at);

struct GoVersion {
  int major = 0;
  int minor = 0;
  auto operator<=>(const GoVersion&) const = default;
};

// {1, 19} from "go1.19.8"; nullopt when there is no "go1.N" in it.
std::optional<GoVersion> parse_go_version(std::string_view version);

}  // namespace loupe::gotls
