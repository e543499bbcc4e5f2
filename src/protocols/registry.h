// The table of protocols Loupe parses. Adding a protocol = writing
// src/protocols/<name>/ (a detect function and a parser) and adding one
// entry to kModules in registry.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe {

struct ProtocolModule {
  Protocol protocol;
  // Well-known ports, used only to order detection attempts.
  std::span<const uint16_t> default_ports;
  Detection (*detect)(std::string_view first_bytes, Direction dir, Role role);
  std::unique_ptr<ProtocolParser> (*make_parser)(Role role);
};

std::span<const ProtocolModule> protocol_modules();

}  // namespace loupe
