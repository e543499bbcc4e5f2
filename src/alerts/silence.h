// A silence: while active, alerts whose labels match every matcher are not
// delivered (they still change state and show in the API and UI).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace loupe::alerts {

struct Matcher {
  std::string name, value;
  bool is_regex = false;  // value is an ECMAScript regex matched against the whole label
  bool is_equal = true;   // false: the label must NOT match
};

struct Silence {
  std::string id;
  std::vector<Matcher> matchers;
  uint64_t starts_ns = 0, ends_ns = 0;
  std::string comment, created_by;

  bool active(uint64_t now_ns) const { return starts_ns <= now_ns && now_ns < ends_ns; }
  bool matches(const std::map<std::string, std::string>& labels) const;
};

nlohmann::json to_json(const Silence& s, uint64_t now_ns);
// From a POST body (Alertmanager's silence shape: matchers[{name, value,
// isRegex, isEqual}], startsAt, endsAt, comment, createdBy). startsAt
// defaults to now. Throws std::invalid_argument saying what is wrong.
Silence silence_from_json(const nlohmann::json& j, uint64_t now_ns);

}  // namespace loupe::alerts
