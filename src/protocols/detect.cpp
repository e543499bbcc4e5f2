#include "protocols/detect.h"

#include <algorithm>

#include "protocols/registry.h"

namespace loupe {
namespace {

bool has_port(const ProtocolModule& m, uint16_t local_port, uint16_t remote_port) {
  return std::any_of(m.default_ports.begin(), m.default_ports.end(),
                     [&](uint16_t p) { return p == local_port || p == remote_port; });
}

}  // namespace

Protocol detect_protocol(std::string_view first_bytes, Direction dir, Role role,
                         uint16_t local_port, uint16_t remote_port) {
  if (first_bytes.empty()) return Protocol::Unknown;
  auto modules = protocol_modules();
  // Port-matching modules first, so a tie between look-alike first bytes
  // goes to the protocol the port suggests.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& m : modules) {
      if (has_port(m, local_port, remote_port) != (pass == 0)) continue;
      if (m.detect(first_bytes, dir, role) == Detection::Match) return m.protocol;
    }
  }
  return Protocol::Unknown;
}

}  // namespace loupe
