#include "agent/capstone_library.h"

#include <dlfcn.h>

namespace loupe {
namespace {

#define LOUPE_STRINGIFY2(x) #x
#define LOUPE_STRINGIFY(x) LOUPE_STRINGIFY2(x)

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& fn, std::string& error) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn && error.empty()) error = std::string("capstone has no ") + name;
  return fn != nullptr;
}

}  // namespace

const char* CapstoneLibrary::soname() { return "libcapstone.so." LOUPE_STRINGIFY(CS_API_MAJOR); }

CapstoneLibrary::CapstoneLibrary() {
  // RTLD_LOCAL: its symbols stay out of the global namespace; RTLD_NOW:
  // a missing symbol fails here, not in the middle of a disassembly.
  handle_ = dlopen(soname(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* why = dlerror();
    error_ = std::string("cannot load ") + soname() + ": " + (why ? why : "unknown error") +
             " (install libcapstone" LOUPE_STRINGIFY(CS_API_MAJOR) ")";
    return;
  }
  bool ok = resolve(handle_, "cs_open", api_.open, error_) &&
            resolve(handle_, "cs_close", api_.close, error_) &&
            resolve(handle_, "cs_option", api_.option, error_) &&
            resolve(handle_, "cs_disasm", api_.disasm, error_) &&
            resolve(handle_, "cs_disasm_iter", api_.disasm_iter, error_) &&
            resolve(handle_, "cs_malloc", api_.malloc, error_) &&
            resolve(handle_, "cs_free", api_.free, error_) &&
            resolve(handle_, "cs_insn_group", api_.insn_group, error_) &&
            resolve(handle_, "cs_regs_access", api_.regs_access, error_);
  if (!ok) {
    dlclose(handle_);
    handle_ = nullptr;
  }
}

CapstoneLibrary::~CapstoneLibrary() {
  if (handle_) dlclose(handle_);
}

}  // namespace loupe
