// What `loupe doctor` reports, shared by the command and by the API's
// GET /api/v1/doctor (the UI's Status page), so both show the same checks
// in the same words.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "cli/doctor/check.h"
#include "core/record.h"

namespace loupe::cli::doctor {

// Every check of this host a capturing Loupe needs, in the order `loupe
// doctor` prints them (the canary aside: only the command runs it).
std::vector<CheckResult> capture_checks(const Options& o);

// The checks a `loupe server` alone needs (it captures nothing).
std::vector<CheckResult> server_checks(const Options& o);

// True when no check failed (a skipped one does not apply here).
bool all_passed(const std::vector<CheckResult>& results);

// {"ok", "checks": [{"name", "status": "pass|fail|skip", "detail", "fix"}],
//  "canary_record": the captured record or null}: `loupe doctor -o json`
// and GET /api/v1/doctor.
nlohmann::json report_json(const std::vector<CheckResult>& results,
                           const std::optional<Record>& canary_record = std::nullopt);

}  // namespace loupe::cli::doctor
