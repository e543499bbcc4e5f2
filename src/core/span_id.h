// The span id of a record: a 64-bit hash of what identifies the exchange
// (node, process, thread, role, connection, times). Deterministic, so the
// API (traces/assembler.h) and the OTLP exporter give a record the same id
// every time without storing one. Never 0 (an invalid W3C span id).
#pragma once

#include <cstdint>
#include <string>

#include "core/record.h"

namespace loupe {

uint64_t span_id_of(const Record& r);
std::string span_id_hex(uint64_t id);  // 16 lowercase hex digits

}  // namespace loupe
