#include "alerts/state_store.h"

namespace loupe::alerts {

std::optional<Alert> stored_alert(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    return alert_from_json(j);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<Silence> stored_silence(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  try {
    Silence s = silence_from_json(j, 0);
    s.id = j.value("id", "");
    return s;
  } catch (const std::exception&) {  // a row from a newer version: skip it
    return std::nullopt;
  }
}

}  // namespace loupe::alerts
