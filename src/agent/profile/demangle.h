// Readable function names from the linkers' mangled ones: C++ (Itanium ABI,
// "_Z...", with the C++ runtime's abi::__cxa_demangle) and Rust, both its
// legacy scheme (Itanium-like, "_ZN...17h<hash>E": shown without the hash
// and with its $LT$-style escapes undone) and v0 ("_R..."), with
// libiberty's rust_demangle (Debian's libiberty-dev, the GNU toolchain's
// own demangler).
#pragma once

#include <string>
#include <string_view>

namespace loupe::profile {

// The demangled name; anything not mangled (C, Go, JIT names), not
// understood, or longer than 4 KiB comes back unchanged.
std::string demangle(std::string_view name);

}  // namespace loupe::profile
