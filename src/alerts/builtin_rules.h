// The rules that run with no alerts file (listed in docs/alerts.md). Each can
// be re-tuned or disabled by naming it in the file.
#pragma once

#include <vector>

#include "alerts/rule.h"

namespace loupe::alerts {

std::vector<Rule> builtin_rules();

}  // namespace loupe::alerts
