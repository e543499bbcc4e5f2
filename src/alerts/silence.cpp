#include "alerts/silence.h"

#include <regex>
#include <stdexcept>

#include "core/time_format.h"

namespace loupe::alerts {

bool Silence::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& m : matchers) {
    auto it = labels.find(m.name);
    std::string v = it == labels.end() ? "" : it->second;
    bool hit = m.is_regex ? std::regex_match(v, std::regex(m.value)) : v == m.value;
    if (hit != m.is_equal) return false;
  }
  return true;
}

nlohmann::json to_json(const Silence& s, uint64_t now_ns) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const auto& m : s.matchers)
    matchers.push_back(
        {{"name", m.name}, {"value", m.value}, {"isRegex", m.is_regex}, {"isEqual", m.is_equal}});
  std::string state = s.active(now_ns) ? "active" : now_ns < s.starts_ns ? "pending" : "expired";
  return {{"id", s.id},
          {"matchers", matchers},
          {"startsAt", format_rfc3339_ns(s.starts_ns)},
          {"endsAt", format_rfc3339_ns(s.ends_ns)},
          {"comment", s.comment},
          {"createdBy", s.created_by},
          {"status", {{"state", state}}}};
}

Silence silence_from_json(const nlohmann::json& j, uint64_t now_ns) {
  if (!j.is_object()) throw std::invalid_argument("expected a JSON object");
  Silence s;
  auto text = [&](const char* key) -> std::string {
    if (!j.contains(key)) return "";
    if (!j[key].is_string()) throw std::invalid_argument(std::string(key) + " must be a string");
    return j[key].get<std::string>();
  };
  auto time = [&](const char* key, uint64_t fallback) {
    std::string t = text(key);
    if (t.empty()) return fallback;
    auto ns = parse_time(t);
    if (!ns) throw std::invalid_argument(std::string(key) + ": expected RFC 3339 time, got " + t);
    return *ns;
  };
  s.starts_ns = time("startsAt", now_ns);
  s.ends_ns = time("endsAt", 0);
  if (s.ends_ns == 0) {
    auto d = parse_duration(text("duration"));
    if (!d) throw std::invalid_argument("give endsAt (RFC 3339) or duration (e.g. 2h)");
    s.ends_ns = s.starts_ns + *d;
  }
  if (s.ends_ns <= s.starts_ns) throw std::invalid_argument("endsAt must be after startsAt");
  s.comment = text("comment");
  s.created_by = text("createdBy");
  if (!j.contains("matchers") || !j["matchers"].is_array() || j["matchers"].empty())
    throw std::invalid_argument("matchers: expected a non-empty list of {name, value}");
  for (const auto& m : j["matchers"]) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("value") ||
        !m["value"].is_string())
      throw std::invalid_argument("matchers: each needs string name and value");
    Matcher x{m["name"], m["value"], m.value("isRegex", false), m.value("isEqual", true)};
    if (x.is_regex) {
      try {
        std::regex check(x.value);
      } catch (const std::regex_error& e) {
        throw std::invalid_argument("matchers: bad regex '" + x.value + "': " + e.what());
      }
    }
    s.matchers.push_back(std::move(x));
  }
  return s;
}

}  // namespace loupe::alerts
