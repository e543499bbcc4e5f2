#include "alerts/notification.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/time_format.h"

namespace loupe::alerts {
namespace {

using nlohmann::json;

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string rfc3339(uint64_t ns) { return ns ? format_rfc3339_ns(ns) : "0001-01-01T00:00:00Z"; }

bool firing(const Alert& a) { return a.state == AlertState::Firing; }

json alert_json(const Alert& a, const std::string& ui_base) {
  return {{"status", firing(a) ? "firing" : "resolved"},
          {"labels", a.labels},
          {"annotations", a.annotations},
          {"startsAt", rfc3339(a.fired_ns)},
          {"endsAt", rfc3339(firing(a) ? 0 : a.resolved_ns)},
          {"generatorURL", generator_url(ui_base, a)},
          {"fingerprint", std::to_string(std::hash<std::string>{}(a.key()))}};
}

// Labels every alert shares.
std::map<std::string, std::string> common_labels(const std::vector<Alert>& alerts) {
  if (alerts.empty()) return {};
  auto common = alerts.front().labels;
  for (const auto& a : alerts)
    std::erase_if(common, [&](const auto& kv) {
      auto it = a.labels.find(kv.first);
      return it == a.labels.end() || it->second != kv.second;
    });
  return common;
}

}  // namespace

std::string render_template(const std::string& text, double value,
                            const std::map<std::string, std::string>& labels) {
  static const std::regex field(R"(\{\{\s*\.(value|labels\.([A-Za-z_][A-Za-z0-9_]*))\s*\}\})");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), field);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    out += text.substr(last, static_cast<size_t>(m.position()) - last);
    if (m[1] == "value") {
      out += format_value(value);
    } else {
      auto l = labels.find(m[2]);
      out += l == labels.end() ? "" : l->second;
    }
    last = static_cast<size_t>(m.position() + m.length());
  }
  return out + text.substr(last);
}

std::string generator_url(const std::string& ui_base, const Alert& a) {
  uint64_t at_s = (a.fired_ns ? a.fired_ns : a.last_eval_ns) / 1'000'000'000ULL;
  std::string range =
      "from=" + std::to_string(at_s - 15 * 60) + "&to=" + std::to_string(at_s + 15 * 60);
  auto label = [&](const std::string& k) {
    auto it = a.labels.find(k);
    return it == a.labels.end() ? std::string() : it->second;
  };
  if (std::string service = label("service"); !service.empty())
    return ui_base + "/services/" + url_encode(service) + "?" + range;
  if (std::string ns = label("namespace"), workload = label("workload");
      !ns.empty() && !workload.empty())
    return ui_base + "/workloads/" + url_encode(ns + "/" + workload) + "?" + range;
  if (!label("node").empty() && label("pod").empty()) return ui_base + "/nodes?" + range;
  return ui_base + "/?" + range;
}

std::string webhook_body(const std::string& receiver, const std::vector<Alert>& alerts,
                         const std::string& ui_base) {
  bool any_firing = std::any_of(alerts.begin(), alerts.end(), firing);
  json list = json::array();
  for (const auto& a : alerts) list.push_back(alert_json(a, ui_base));
  std::map<std::string, std::string> group;
  if (!alerts.empty()) group["alertname"] = alerts.front().rule;
  return json{
      {"version", "4"},
      {"groupKey", "{}:{alertname=\"" + (alerts.empty() ? "" : alerts.front().rule) + "\"}"},
      {"truncatedAlerts", 0},
      {"status", any_firing ? "firing" : "resolved"},
      {"receiver", receiver},
      {"groupLabels", group},
      {"commonLabels", common_labels(alerts)},
      {"commonAnnotations", json::object()},
      {"externalURL", ui_base},
      {"alerts", list}}
      .dump();
}

std::string slack_body(const std::vector<Alert>& alerts, const std::string& ui_base) {
  std::string text;
  for (const auto& a : alerts) {
    auto summary = a.annotations.find("summary");
    std::string what = summary != a.annotations.end() ? summary->second : a.key();
    text +=
        std::string(firing(a) ? ":rotating_light: [FIRING] " : ":white_check_mark: [RESOLVED] ") +
        a.rule + ": " + what + " <" + generator_url(ui_base, a) + "|open in Loupe>\n";
  }
  return json{{"text", text}}.dump();
}

std::string alertmanager_body(const std::vector<Alert>& alerts, const std::string& ui_base,
                              uint64_t firing_ends_ns) {
  json list = json::array();
  for (const auto& a : alerts) {
    json j = alert_json(a, ui_base);
    j.erase("status");
    j.erase("fingerprint");
    j["endsAt"] = rfc3339(firing(a) ? firing_ends_ns : a.resolved_ns);
    list.push_back(j);
  }
  return list.dump();
}

}  // namespace loupe::alerts
