#include "protocols/registry.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <vector>

#include "protocols/declared_modules.h"
#include "protocols/finishing_parser.h"

namespace loupe {
namespace {

// Where a module goes in the list: strict detections before loose ones
// (where first bytes could look alike, the strict detection decides), then
// by id, a protocol carried by another right after its carrier.
auto order_key(const ProtocolModule& m) {
  bool carried = m.carried_by != Protocol::Unknown;
  return std::tuple(m.loose_detection, carried ? m.carried_by : m.protocol, carried);
}

// The declared modules (generated from the protocol folders), in that order.
std::vector<ProtocolModule> in_detection_order() {
  std::vector<ProtocolModule> modules;
  for (const ProtocolModule* m : declared::kAll) modules.push_back(*m);
  std::sort(modules.begin(), modules.end(), [](const ProtocolModule& a, const ProtocolModule& b) {
    return order_key(a) < order_key(b);
  });
  return modules;
}

}  // namespace

std::span<const ProtocolModule> protocol_modules() {
  static const std::vector<ProtocolModule> modules = in_detection_order();
  return modules;
}

const ProtocolModule* find_protocol_module(Protocol protocol) {
  // Asked for every record (its redaction): indexed by the protocol's
  // one-byte id, not a scan of the list (~75 instructions a Redis record).
  static const std::array<const ProtocolModule*, 256> by_id = [] {
    std::array<const ProtocolModule*, 256> ids{};
    for (const auto& m : protocol_modules()) {
      const ProtocolModule*& slot = ids[static_cast<uint8_t>(m.protocol)];
      if (!slot) slot = &m;  // the first in the list, as a scan finds it
    }
    return ids;
  }();
  return by_id[static_cast<uint8_t>(protocol)];
}

std::string protocol_names() {
  std::string out;
  auto modules = protocol_modules();
  for (size_t i = 0; i < modules.size(); ++i) {
    if (i > 0) out += i + 1 == modules.size() ? " or " : ", ";
    out += to_string(modules[i].protocol);
  }
  return out;
}

std::unique_ptr<ProtocolParser> make_switched_parser(const ProtocolSwitch& sw) {
  const ProtocolModule* m = find_protocol_module(sw.protocol);
  return m && m->make_switched_parser ? m->make_switched_parser(sw) : nullptr;
}

std::unique_ptr<ProtocolParser> make_parser(Protocol protocol, Role role, Redaction redaction) {
  const ProtocolModule* m = find_protocol_module(protocol);
  if (!m || !m->make_parser) return nullptr;
  bool verbatim = redaction == Redaction::Off && m->make_verbatim_parser;
  return finish_records(verbatim ? m->make_verbatim_parser(role) : m->make_parser(role), redaction);
}

}  // namespace loupe
