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
  // A parser keeping the values make_parser masks itself (SQL literals),
  // for `--redact off`; nullptr when make_parser masks nothing.
  std::unique_ptr<ProtocolParser> (*make_verbatim_parser)(Role role) = nullptr;
};

std::span<const ProtocolModule> protocol_modules();

}  // namespace loupe
