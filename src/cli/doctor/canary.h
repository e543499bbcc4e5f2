// The end-to-end check: a private capture (an Agent filtered to one port)
// watches a local HTTP exchange made for the purpose, and the exchange must
// come out as a record.
#pragma once

#include <chrono>
#include <optional>

#include "cli/doctor/check.h"
#include "core/record.h"

namespace loupe::cli::doctor {

struct CanaryResult {
  CheckResult check;
  std::optional<Record> record;  // the captured exchange, when it was
};

CanaryResult run_canary(std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace loupe::cli::doctor
