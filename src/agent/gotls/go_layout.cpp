#include "agent/gotls/go_layout.h"

#include <elf.h>

namespace loupe::gotls {

std::optional<GoVersion> register_abi_since(uint16_t elf_machine) {
  if (elf_machine == EM_X86_64) return GoVersion{1, 17};
  if (elf_machine == EM_AARCH64) return GoVersion{1, 18};
  return std::nullopt;
}

std::optional<GoTlsLayout> known_go_tls_layout(const GoVersion& version) {
  if (version < GoVersion{1, 17}) return std::nullopt;
  GoTlsLayout l;
  l.sysfd = 16;  // after fdMutex{state uint64; rsema, wsema uint32}
  l.source = version > kNewestKnownLayout ? "go1.17-1.23 layout (assumed)" : "go1.17-1.23 layout";
  return l;
}

}  // namespace loupe::gotls
