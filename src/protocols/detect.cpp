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

DetectResult detect_protocol(std::string_view first_bytes, Direction dir, Role role,
                             uint16_t local_port, uint16_t remote_port) {
  DetectResult result;
  if (first_bytes.empty()) {
    result.verdict = Detection::NeedMore;
    return result;
  }
  bool undecided = false;  // a module asked earlier still needs bytes
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& m : protocol_modules()) {
      if (!m.detect || has_port(m, local_port, remote_port) != (pass == 0)) continue;
      switch (m.detect(first_bytes, dir, role)) {
        case Detection::Match:
          if (!undecided) return {Detection::Match, m.protocol, Protocol::Unknown};
          if (result.fallback == Protocol::Unknown) result.fallback = m.protocol;
          break;
        case Detection::NeedMore:
          undecided = true;
          break;
        case Detection::NoMatch:
          break;
      }
    }
  }
  if (undecided) result.verdict = Detection::NeedMore;
  return result;
}

}  // namespace loupe
