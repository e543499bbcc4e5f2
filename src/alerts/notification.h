// The bodies Loupe posts to receivers, built from alerts: Alertmanager's
// webhook JSON (version "4"), a Slack incoming-webhook message, and the
// alert list of Alertmanager's v2 API (POST /api/v2/alerts).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/rule.h"

namespace loupe::alerts {

// "{{ .value }}" and "{{ .labels.NAME }}" replaced; anything else kept as is.
std::string render_template(const std::string& text, double value,
                            const std::map<std::string, std::string>& labels);

// The Loupe UI view of the alert's moment: its service (or the overview)
// over the 30 minutes around when it fired.
std::string generator_url(const std::string& ui_base, const Alert& a);

// `alerts` share one receiver and one evaluation. `now_ns` stamps endsAt of
// firing alerts for Alertmanager (which resolves an alert not refreshed by then).
std::string webhook_body(const std::string& receiver, const std::vector<Alert>& alerts,
                         const std::string& ui_base);
std::string slack_body(const std::vector<Alert>& alerts, const std::string& ui_base);
std::string alertmanager_body(const std::vector<Alert>& alerts, const std::string& ui_base,
                              uint64_t firing_ends_ns);

}  // namespace loupe::alerts
