#include "agent/profile/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

extern "C" {
#include <libiberty/demangle.h>
}

namespace loupe::profile {
namespace {

// Longer names (from hostile files) are shown as they are: the demanglers
// recurse over their input.
constexpr size_t kMaxMangled = 4096;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Demangled = std::unique_ptr<char, FreeDeleter>;

}  // namespace

std::string demangle(std::string_view name) {
  std::string in(name);
  if (in.size() > kMaxMangled) return in;
  // Rust first: a legacy Rust name is valid Itanium too, but the C++
  // demangler would keep its hash and escapes. rust_demangle declines what
  // is not Rust (a C++ "_ZN" name has no 17h<hash> last segment).
  if (in.starts_with("_R") || in.starts_with("_ZN"))
    if (Demangled rust{rust_demangle(in.c_str(), DMGL_PARAMS | DMGL_ANSI)}) return rust.get();
  if (!in.starts_with("_Z")) return in;
  int status = 0;
  Demangled cxx{abi::__cxa_demangle(in.c_str(), nullptr, nullptr, &status)};
  return status == 0 && cxx ? std::string(cxx.get()) : in;
}

}  // namespace loupe::profile
